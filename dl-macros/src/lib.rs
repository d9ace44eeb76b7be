//! `network!` for `dl`. Not built yet: this crate is a placeholder so the workspace layout is
//! final; the macro arrives with its own issue.
