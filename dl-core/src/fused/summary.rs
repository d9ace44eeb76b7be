//! The Keras-style summary table `network!` prints: layer, output shape, parameters, MACs,
//! formatted without allocating; and the same table for a hand-composed `Network` chain.
use crate::budget::Thousands;
use crate::describe::{Describe, Dims, Line, Path, RowFn, Tensors};
use crate::shape::Shape;
use core::fmt::Display;
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
impl core::fmt::Display for Summary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let rows = |g: &mut RowFn<'_>| {
            self.rows.iter().try_for_each(|r| {
                g(&Line {
                    depth: 0,
                    layer: &r.layer,
                    shape: &r.shape,
                    params: r.params,
                    macs: r.macs,
                })
            })
        };
        let totals = [self.params, self.weight_bytes, self.macs, self.arena_bytes];
        table(f, &self.name, &self.input, &rows, totals)
    }
}

/// The summary of a hand-composed [`Network`](crate::Network) (`Network::<In, L>::summary()`):
/// the table `network!` structs print, built by walking the chain's type ([`Describe`]);
/// printing allocates nothing. The arena is the chain's [`Layer::SCRATCH`](crate::Layer), the
/// unfused one (a `network!` struct of the same layers fuses and needs less).
pub struct ChainSummary<In, L>(core::marker::PhantomData<fn() -> (In, L)>);

impl<In: Shape, L: Describe<In>> ChainSummary<In, L> {
    /// The summary of `Network<In, L>`.
    pub const fn new() -> Self {
        ChainSummary(core::marker::PhantomData)
    }
    /// Calls `f` with each row of the table, in order.
    pub fn rows(&self, f: &mut RowFn<'_>) -> core::fmt::Result {
        L::rows(0, f)
    }
    /// Floats of buffers (BatchNorm's running statistics) stored beside the parameters.
    pub fn buffers(&self) -> usize {
        let mut n = 0;
        L::names(&Path::ROOT, &mut 0, Tensors::Buffers, &mut |_, _, s| {
            n += s.iter().product::<usize>()
        });
        n
    }
}
impl<In: Shape, L: Describe<In>> Default for ChainSummary<In, L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<In: Shape, L: Describe<In>> core::fmt::Display for ChainSummary<In, L> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let weight_bytes = 4 * (L::PARAMS + self.buffers());
        let totals = [L::PARAMS, weight_bytes, L::MACS, 4 * L::SCRATCH];
        table(
            f,
            &"Network",
            &Dims::<In>::new(),
            &|g| L::rows(0, g),
            totals,
        )
    }
}

/// The table: a title, a row per layer (from `rows`, called twice: to measure, to print), then
/// `[params, weight bytes, MACs, arena bytes]`.
fn table(
    f: &mut core::fmt::Formatter<'_>,
    name: &dyn Display,
    input: &dyn Display,
    rows: &dyn Fn(&mut RowFn<'_>) -> core::fmt::Result,
    [params, weight_bytes, macs, arena_bytes]: [usize; 4],
) -> core::fmt::Result {
    let mut w = 5;
    rows(&mut |l| {
        w = w.max(2 * l.depth + width(l.layer)?);
        Ok(())
    })?;
    let w = w + 2;
    let line = "-".repeat_fmt(w + 46);
    writeln!(f, "{name}: input {input}")?;
    writeln!(f, "{line}")?;
    writeln!(
        f,
        "{:<w$}{:<16}{:>14}{:>16}",
        "Layer", "Output shape", "Params", "MACs"
    )?;
    writeln!(f, "{line}")?;
    rows(&mut |l| {
        let n = 2 * l.depth + width(l.layer)?;
        write!(
            f,
            "{}{}{}",
            Repeat(' ', 2 * l.depth),
            l.layer,
            Repeat(' ', w - n)
        )?;
        let s = width(l.shape)?;
        write!(f, "{}{}", l.shape, Repeat(' ', 16usize.saturating_sub(s)))?;
        writeln!(f, "{:>14}{:>16}", Thousands(l.params), Thousands(l.macs))
    })?;
    writeln!(f, "{line}")?;
    writeln!(
        f,
        "Total params: {} ({} weight bytes)",
        Thousands(params),
        Thousands(weight_bytes)
    )?;
    writeln!(f, "MACs per sample: {}", Thousands(macs))?;
    write!(f, "Inference arena: {} bytes", Thousands(arena_bytes))
}

/// Characters `d` prints.
fn width(d: &dyn Display) -> Result<usize, core::fmt::Error> {
    struct Count(usize);
    impl core::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0 += s.chars().count();
            Ok(())
        }
    }
    let mut c = Count(0);
    core::fmt::write(&mut c, format_args!("{d}"))?;
    Ok(c.0)
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
