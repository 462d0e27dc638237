"""Diagnosis: what the appliance's certificates look like and what to do about them.

I/O: :mod:`~vcfix.diagnose.collect` reads VECS, VMDIR and the node facts;
:mod:`~vcfix.diagnose.examine` ties collection to judgement. Pure logic:
:mod:`~vcfix.diagnose.certs` (certificate facts), :mod:`~vcfix.diagnose.classify`,
:mod:`~vcfix.diagnose.plan`, :mod:`~vcfix.diagnose.model` (the diagnosis and its JSON)
and :mod:`~vcfix.diagnose.report` (the text report).
"""
