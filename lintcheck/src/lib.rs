//! Empty: this package only exists for its dev-dependencies.
