"""Tools for authors and reviewers of workflows, one module per concern.

- :mod:`engine.review.pairs`: every workflow x tenant pair compiled through the pure passes
- :mod:`engine.review.snapshot`: canonical renderings of every pair, written and checked
- :mod:`engine.review.revisions`: a git revision or a folder as a project to compare
- :mod:`engine.review.views`: what a reviewer compares in a compiled pair, and who set it
- :mod:`engine.review.diff`: the semantic diff of two projects and the tenants it affects
- :mod:`engine.review.report`: that diff as text, Markdown or JSON
- :mod:`engine.review.explain`: a tenant's effective configuration with provenance
- :mod:`engine.review.testfiles`, :mod:`engine.review.runner`, :mod:`engine.review.junit`:
  workflow tests in YAML, run with scripted models and tool mocks

None of them imports LangGraph except the test runner: describing a graph
needs the IR, not the compiled LangGraph object, so ``snapshot``, ``diff``
and ``explain`` start fast.
"""
