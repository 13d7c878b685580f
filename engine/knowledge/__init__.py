"""Knowledge: documents and memory indexed per tenant, searched by words and by meaning (issue 14)."""
