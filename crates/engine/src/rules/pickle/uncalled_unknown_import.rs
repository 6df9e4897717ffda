//! ## What it does
//! Notes a pickle that imports a name which is not on the allowlist but is
//! never *called* with the file's arguments while loading: a class whose
//! instance is rebuilt (`NEWOBJ`/`NEWOBJ_EX`, `copyreg._reconstructor`,
//! `copyreg.__newobj__`, state set by `BUILD`), or a name only stored as a
//! value (a function kept as an estimator's parameter, such as
//! `FunctionTransformer(func=numpy.log1p)`).
//!
//! ## Why is this bad?
//! Usually it is not: rebuilding an instance creates it with the class's own
//! `__new__` and hands it its saved fields, and a name stored as a value is
//! not run while loading. Neither runs code of the file's choosing. Loading
//! does need that library (or the project's own module) installed, and the
//! object may run its own code later, when it is used; so the import is shown
//! for review, as a `low` note that does not block at the default level.
//!
//! Severity follows use. The same unknown name *called* with arguments
//! (`REDUCE`, `INST`, `OBJ`) is `PKL002` (medium, blocks by default). A name
//! known to be dangerous is `PKL001` (critical) however it is used: as a
//! value, rebuilt, or called. Attributes that rewire an object while it is
//! rebuilt (`__setstate__`, `__reduce__`, ...) are `PKL005`.
//!
//! ## Example
//! ```text
//! GLOBAL 'ultralytics.nn.tasks DetectionModel'
//! EMPTY_TUPLE
//! NEWOBJ                  -> DetectionModel.__new__(DetectionModel)   (low)
//! BUILD {...}             -> its fields
//! ```
//!
//! ## References
//! - Python documentation, `pickle`: "Pickling Class Instances" (`__reduce__`, `__newobj__`, `__setstate__`)
//! - Kellas et al., "PickleBall: Secure Deserialization of Pickle-based Machine Learning Models" (allowlists)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "PKL010",
    name: "uncalled-unknown-import",
    severity: Severity::Low,
    summary: "the file rebuilds or references a class that is not on the allowlist, without calling it; loading needs that library",
    path: "pickle/uncalled_unknown_import",
};
