//! ## What it does
//! Notes Keras objects that the user's own code registered: a configuration
//! entry with a `registered_name` such as `"MyPackage>MyLayer"` (Keras 3 and
//! tf.keras 2 `@register_keras_serializable`), a tf.keras 2 `class_name` of that
//! form, or a custom class whose `module` is the project's own (`__main__`,
//! `my_project.layers`) and whose `registered_name` matches it. Severity is
//! **low**: the finding says which code the model needs in order to load.
//!
//! ## Why is this bad?
//! It is not, by itself. A `.keras` or `.h5` file cannot carry a registered
//! class's code: Keras finds it in its registry (filled when the user's package
//! is imported) or in `custom_objects`, and loading fails without it. What
//! runs is code already installed and chosen by the user, not by the file.
//! A reviewer should still know that the model depends on it.
//!
//! The note does not hide what else the configuration carries. The entry is
//! judged as before (KRS002, high or critical) when the module is a Python
//! standard-library module or a known-dangerous callable (`subprocess.Popen`
//! claimed as `"Custom>Popen"` is still CVE-2025-1550), when the class name
//! does not match its registered name, or when the registered name itself
//! points into another module. A `Lambda` carrying bytecode (KRS001), a
//! download (KRS003) or a safe-mode switch (KRS006) is reported by its own
//! rule whatever the layers around it are.
//!
//! ## Example
//! ```text
//! {"module": "my_project.layers", "class_name": "MyLayer",
//!  "registered_name": "MyPackage>MyLayer", "config": {...}}
//! -> low: needs the user's code MyPackage>MyLayer (module my_project.layers) to load
//! ```
//!
//! ## References
//! - https://keras.io/api/models/model_saving_apis/serialization_utils/ (`register_keras_serializable`)
//! - CVE-2025-1550 (why a module that is not the user's own stays high)
use crate::finding::Severity;
use crate::rules::Rule;

pub static RULE: Rule = Rule {
    code: "KRS008",
    name: "keras-registered-custom-object",
    severity: Severity::Low,
    summary: "the model needs a custom object registered by the user's code to load",
    path: "keras/registered_custom_object",
};
