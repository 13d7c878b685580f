"""The one C extension: engine.guardrails._digit_runs, the PII detector's digit-run finder.

Everything else is in pyproject.toml. The extension is optional: without a C
compiler the install goes on and the detector uses the Python version of the
same function (engine.guardrails.digit_runs), with the same findings, slower.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("engine.guardrails._digit_runs", ["engine/guardrails/_digit_runs.c"], optional=True)])
