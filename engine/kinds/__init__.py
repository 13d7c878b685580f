"""One module per node kind; ``BUILDERS`` maps each IR node kind to its builder."""
