//! Any bytes given to the CSV reader either parse or return an error: no panic. A parsed table
//! keeps its promises: at least one row, unique header names, every row the header's width,
//! every column readable as text, and numbers / labels / matrix either values or an error that
//! names the file.
#![no_main]
use dl_core::data::Table;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let t = match Table::parse(text, "fuzz.csv") {
        Ok(t) => t,
        Err(e) => {
            assert!(e.to_string().starts_with("fuzz.csv"), "{e}");
            return;
        }
    };
    assert!(!t.is_empty());
    let cols = t.columns().to_vec();
    for (j, c) in cols.iter().enumerate() {
        assert!(!cols[..j].contains(c), "duplicate column {c:?} accepted");
        assert_eq!(t.text(c).expect("a header column").len(), t.len());
        if let Ok(v) = t.numbers(c) {
            assert_eq!(v.len(), t.len());
            assert!(v.iter().all(|x| x.is_finite()));
        }
        if let Ok(l) = t.labels(c, 7) {
            assert!(l.iter().all(|&x| x < 7));
        }
        if let Err(e) = t.labels(c, 0) {
            assert!(e.to_string().starts_with("fuzz.csv"), "{e}");
        } else {
            panic!("a label column with 0 classes accepted");
        }
    }
    if let Ok(m) = t.matrix(&cols) {
        assert_eq!(m.len(), t.len() * cols.len());
    }
});
