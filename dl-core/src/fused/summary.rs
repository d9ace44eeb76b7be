//! The Keras-style summary table `network!` prints: layer, output shape, parameters, MACs,
//! formatted without allocating.
/// One row of a network summary.
pub struct Row {
    /// The layer as written (indented inside blocks), its field, output shape, counts.
    pub layer: &'static str,
    pub field: &'static str,
    pub shape: &'static str,
    pub params: usize,
    pub macs: usize,
}
/// A Keras-style table of a network: layer, output shape, parameters, MACs, then the totals,
/// weight bytes and inference arena. Every `network!` struct has `Net::summary()`; print it with
/// `println!("{}", Net::summary())` (no allocation).
pub struct Summary {
    pub name: &'static str,
    pub input: &'static str,
    pub rows: &'static [Row],
    pub params: usize,
    pub macs: usize,
    pub weight_bytes: usize,
    pub arena_bytes: usize,
}
/// `1234567` as `1,234,567`.
struct Thousands(usize);
impl core::fmt::Display for Thousands {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut buf = [0u8; 40];
        let mut n = self.0;
        let mut i = buf.len();
        let mut k = 0;
        loop {
            if k == 3 {
                i -= 1;
                buf[i] = b',';
                k = 0;
            }
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            k += 1;
            if n == 0 {
                break;
            }
        }
        let s = core::str::from_utf8(&buf[i..]).map_err(|_| core::fmt::Error)?;
        f.pad(s)
    }
}
impl core::fmt::Display for Summary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let w = self
            .rows
            .iter()
            .map(|r| r.layer.chars().count())
            .max()
            .unwrap_or(5)
            .max(5)
            + 2;
        let line = "-".repeat_fmt(w + 46);
        writeln!(f, "{}: input {}", self.name, self.input)?;
        writeln!(f, "{line}")?;
        writeln!(
            f,
            "{:<w$}{:<16}{:>14}{:>16}",
            "Layer", "Output shape", "Params", "MACs"
        )?;
        writeln!(f, "{line}")?;
        for r in self.rows {
            writeln!(
                f,
                "{:<w$}{:<16}{:>14}{:>16}",
                r.layer,
                r.shape,
                Thousands(r.params),
                Thousands(r.macs)
            )?;
        }
        writeln!(f, "{line}")?;
        writeln!(
            f,
            "Total params: {} ({} weight bytes)",
            Thousands(self.params),
            Thousands(self.weight_bytes)
        )?;
        writeln!(f, "MACs per sample: {}", Thousands(self.macs))?;
        write!(f, "Inference arena: {} bytes", Thousands(self.arena_bytes))
    }
}
/// A run of a character, printed without allocating.
struct Repeat(char, usize);
impl core::fmt::Display for Repeat {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for _ in 0..self.1 {
            core::fmt::Write::write_char(f, self.0)?;
        }
        Ok(())
    }
}
trait RepeatFmt {
    fn repeat_fmt(&self, n: usize) -> Repeat;
}
impl RepeatFmt for str {
    fn repeat_fmt(&self, n: usize) -> Repeat {
        Repeat(self.chars().next().unwrap_or('-'), n)
    }
}
