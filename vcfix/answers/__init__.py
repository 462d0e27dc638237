"""Answer files: the values an unattended run gives to vendor prompts.

:mod:`~vcfix.answers.answer_file` loads, layers and resolves them (``{env: ...}``,
``{file: ...}``); :mod:`~vcfix.answers.schema` validates them. Used by the fix, the
pre-upgrade check (the SSO password) and the prompt API, so it sits below all three.
"""
