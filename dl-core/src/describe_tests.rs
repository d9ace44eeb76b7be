//! Summaries and names of hand-composed chains, against tables written out here.
use crate::consts::*;
use crate::describe::{Line, Path, Tensors};
use crate::io::Named;
use crate::layers::conv::NoBias;
use crate::*;
use std::string::{String, ToString};
use std::vec::Vec;

type Block = Residual<
    Seq![Conv2d<U4, U4, U3, U1, U1, U1, NoBias>, BatchNorm2d<U4>, ReLU],
    Seq![Conv2d<U4, U4, U1>],
>;
type Net = Network<
    Shape3<U2, U8, U8>,
    Seq![
        Conv2d<U2, U4, U3, U1, U1>,
        ReLU,
        Block,
        Concat<Conv2d<U4, U2, U1>, Concat<MaxPool2d<U3, U1, U1>, Identity>>,
        GlobalAvgPool2d,
        Flatten,
        Linear<U10, U3>,
        BatchNorm1d<U3>,
    ],
>;

fn names<N: Named>() -> Vec<(String, Vec<usize>)> {
    crate::io::named::names::<N>()
}

#[test]
fn a_chain_names_its_tensors_as_network_does() {
    let got = names::<Net>();
    let want: Vec<(&str, &[usize])> = vec![
        ("0.weight", &[4, 2, 3, 3]),
        ("0.bias", &[4]),
        ("2.body.0.weight", &[4, 4, 3, 3]),
        ("2.body.1.weight", &[4]),
        ("2.body.1.bias", &[4]),
        ("2.shortcut.0.weight", &[4, 4, 1, 1]),
        ("2.shortcut.0.bias", &[4]),
        ("3.0.0.weight", &[2, 4, 1, 1]),
        ("3.0.0.bias", &[2]),
        ("6.weight", &[3, 10]),
        ("6.bias", &[3]),
        ("7.weight", &[3]),
        ("7.bias", &[3]),
        ("2.body.1.running_mean", &[4]),
        ("2.body.1.running_var", &[4]),
        ("7.running_mean", &[3]),
        ("7.running_var", &[3]),
    ];
    let got: Vec<(&str, &[usize])> = got.iter().map(|(n, s)| (&n[..], &s[..])).collect();
    assert_eq!(got, want);
    // The names cover exactly the tensors the network visits, in order.
    let net = Net::new(0);
    let mut lens = Vec::new();
    net.visit(&mut |p| lens.push(p.len()));
    net.visit_buffers(&mut |b| lens.push(b.len()));
    let sizes: Vec<usize> = want.iter().map(|(_, s)| s.iter().product()).collect();
    assert_eq!(lens, sizes);
    // The box is named as the network.
    assert_eq!(names::<std::boxed::Box<Net>>().len(), want.len());
}

#[test]
fn paths_print_as_pytorch_keys() {
    let root = Path::ROOT;
    let three = root.index(3);
    let body = three.name("body");
    assert_eq!(body.index(0).to_string(), "3.body.0");
    assert_eq!(root.to_string(), "");
    let mut n = 0;
    Net::summary()
        .rows(&mut |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
    let mut buffers = 0;
    <Seq![Linear<U2, U3>, BatchNorm1d<U3>] as Describe<Shape1<U2>>>::names(
        &root,
        &mut 5,
        Tensors::Buffers,
        &mut |p, t, s| {
            assert_eq!(p.to_string(), "6");
            assert!(t.starts_with("running_"));
            buffers += s[0];
        },
    );
    assert_eq!(buffers, 6);
    assert_eq!(n, 19);
}

#[test]
fn a_chain_prints_the_network_table() {
    let s = Net::summary().to_string();
    std::println!("{s}");
    let want = "\
Network: input [2, 8, 8]
----------------------------------------------------------------------------------------
Layer                                     Output shape            Params            MACs
----------------------------------------------------------------------------------------
Conv2d(2, 4, 3, padding=1)                [4, 8, 8]                   76           4,608
ReLU                                      [4, 8, 8]                    0               0
residual                                  [4, 8, 8]                    0               0
  Conv2d(4, 4, 3, padding=1, bias=False)  [4, 8, 8]                  144           9,216
  BatchNorm2d(4)                          [4, 8, 8]                    8               0
  ReLU                                    [4, 8, 8]                    0               0
shortcut                                  [4, 8, 8]                    0               0
  Conv2d(4, 4, 1)                         [4, 8, 8]                   20           1,024
concat                                    [10, 8, 8]                   0               0
  branch 1                                                             0               0
    Conv2d(4, 2, 1)                       [2, 8, 8]                   10             512
  branch 2                                                             0               0
    MaxPool2d(3, stride=1, padding=1)     [4, 8, 8]                    0               0
  branch 3                                                             0               0
    Identity                              [4, 8, 8]                    0               0
GlobalAvgPool2d                           [10, 1, 1]                   0               0
Flatten                                   [10]                         0               0
Linear(10, 3)                             [3]                         33              30
BatchNorm1d(3)                            [3]                          6               0
----------------------------------------------------------------------------------------
Total params: 297 (1,244 weight bytes)
MACs per sample: 15,390
Inference arena: ";
    assert!(s.starts_with(want), "{s}");
    let arena = 4 * <Net as Layer<Shape3<U2, U8, U8>>>::SCRATCH;
    assert!(s.ends_with(&std::format!("{} bytes", crate::Thousands(arena))));
    // Totals agree with the type-level counts.
    assert_eq!(<Net as Module>::PARAMS, 297);
    assert_eq!(<Net as Describe<_>>::MACS, 15_390);
    let mut line: Option<(usize, usize)> = None;
    Net::summary()
        .rows(&mut |l: &Line<'_>| {
            if l.depth == 1 && l.params == 144 {
                line = Some((l.params, l.macs));
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(line, Some((144, 4 * 64 * 4 * 9)));
}
