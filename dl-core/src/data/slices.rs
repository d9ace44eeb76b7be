//! [`SliceError`]: a flat `f32` slice that does not hold what a data function was told it holds
//! (whole rows of a given width, a sample at every index).
use std::fmt;

/// Run-time data handed to [`Standardizer`](super::Standardizer), [`gather`](super::gather) or
/// [`least_squares`](super::least_squares) that does not fit its description. Every variant
/// names the function, the argument and the numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SliceError {
    /// Rows of zero values were asked for.
    ZeroWidth {
        /// The function, e.g. `"Standardizer::fit"`.
        what: &'static str,
    },
    /// `len` values are not a whole number of rows of `width`.
    PartialRow {
        /// The function and argument, e.g. `"Standardizer::apply: data"`.
        what: &'static str,
        /// Values given.
        len: usize,
        /// Values per row (features, or a sample's `NUMEL`).
        width: usize,
    },
    /// `idx[position] = index` but there are only `rows` rows.
    IndexOutOfRange {
        /// The function, e.g. `"gather"`.
        what: &'static str,
        /// Position in the index slice.
        position: usize,
        /// The index found there.
        index: usize,
        /// Rows in the data.
        rows: usize,
    },
    /// Two slices that must describe the same rows do not.
    RowCount {
        /// The function, e.g. `"least_squares"`.
        what: &'static str,
        /// Rows in the inputs.
        x: usize,
        /// Values in the targets.
        y: usize,
    },
    /// The normal equations are singular: a feature is constant or a combination of others.
    Collinear,
    /// An image slice whose length is not `c·h·w`.
    ImageSize {
        /// The function, e.g. `"hflip"`.
        what: &'static str,
        /// Values in the slice.
        len: usize,
        /// The `[C, H, W]` given.
        shape: [usize; 3],
    },
}

impl fmt::Display for SliceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SliceError::ZeroWidth { what } => {
                write!(f, "{what}: rows of 0 values (features must be at least 1)")
            }
            SliceError::PartialRow { what, len, width } => write!(
                f,
                "{what}: {len} values are not a whole number of rows of {width} ({} rows and {} values left over)",
                len / width,
                len % width
            ),
            SliceError::IndexOutOfRange {
                what,
                position,
                index,
                rows,
            } => write!(
                f,
                "{what}: idx[{position}] = {index} is out of range: the data holds {rows} rows (valid indices are 0..{rows})"
            ),
            SliceError::RowCount { what, x, y } => write!(
                f,
                "{what}: {x} rows of inputs but {y} targets"
            ),
            SliceError::ImageSize { what, len, shape: [c, h, w] } => write!(
                f,
                "{what}: a [{c}, {h}, {w}] image holds {} values, the slice holds {len}",
                c.saturating_mul(h).saturating_mul(w)
            ),
            SliceError::Collinear => write!(
                f,
                "least_squares: the features are collinear (one is constant or a combination of others), so the fit is not unique"
            ),
        }
    }
}

impl std::error::Error for SliceError {}

/// The number of `width`-value rows in `len` values, or why there is no whole number of them.
pub(crate) fn whole_rows(
    what: &'static str,
    len: usize,
    width: usize,
) -> Result<usize, SliceError> {
    if width == 0 {
        return Err(SliceError::ZeroWidth { what });
    }
    if !len.is_multiple_of(width) {
        return Err(SliceError::PartialRow { what, len, width });
    }
    Ok(len / width)
}

/// `Ok` if `len` is `c·h·w` (no overflow): the slice is one `[C, H, W]` image.
pub(crate) fn image(
    what: &'static str,
    len: usize,
    c: usize,
    h: usize,
    w: usize,
) -> Result<(), SliceError> {
    match c.checked_mul(h).and_then(|v| v.checked_mul(w)) {
        Some(n) if n == len => Ok(()),
        _ => Err(SliceError::ImageSize {
            what,
            len,
            shape: [c, h, w],
        }),
    }
}
