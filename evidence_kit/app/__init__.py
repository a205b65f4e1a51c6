"""The application layer: one function per use case, shared by every face of evkit.

Each function takes plain inputs and, where the work needs the person, small callbacks (the
signer, progress, a note that an interrupted command was finished), does the work through the
core modules and returns a typed, frozen result. Nothing here imports click, prints or exits:
the command line (:mod:`evidence_kit.cli`) and a local web page render the results themselves.
Errors are the :mod:`evidence_kit.errors` exceptions.

Modules: :mod:`~evidence_kit.app.case` (init, key), :mod:`~evidence_kit.app.evidence` (add,
list, show, log, extract, identifiers), :mod:`~evidence_kit.app.verify`,
:mod:`~evidence_kit.app.story` (notes, suspects, losses, references, marks, timeline, report),
:mod:`~evidence_kit.app.handover` (export, exports, import) and
:mod:`~evidence_kit.app.timestamp`. Only the standard library and :mod:`evidence_kit.errors`
are imported at start-up; the core is imported inside each function, so a face that imports
this layer starts as fast as before.
"""
