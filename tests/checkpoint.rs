//! Checkpoints without hand-written tables: `network!` names every tensor as PyTorch's
//! `nn.Sequential` of the same layers would (`io::Named`), `io::save` / `io::load` use those
//! names, `io::save_optimizer` / `io::load_optimizer` keep the optimiser's state and
//! `io::save_generators` / `io::load_generators` the Dropout masks' generators, so a run
//! interrupted by a save and a load continues bit for bit.
use dl::consts::*;
use dl::io::{self, Named};
use dl::optim::{Adam, Optimizer, Sgd};
use dl::*;

network! {
    /// examples/digits.rs's CNN.
    struct Cnn: [1, 8, 8] {
        Conv2d(1, 32, 3, pad = 1), ReLU,
        Conv2d(32, 32, 3, pad = 1), ReLU, MaxPool2d(2),
        Conv2d(32, 64, 3, pad = 1), ReLU, MaxPool2d(2),
        Flatten, Dropout(0.25), Linear(256, 10),
    }
}

network! {
    /// Every block kind: BatchNorm (buffers), a residual with a shortcut, a concat, a skip.
    struct Blocks: [2, 8, 8] {
        Conv2d(2, 4, 3, pad = 1), BatchNorm2d(4), ReLU,
        residual { Conv2d(4, 4, 3, pad = 1, bias = false), BatchNorm2d(4) }
            shortcut { Conv2d(4, 4, 1) },
        ReLU,
        concat { { Conv2d(4, 2, 1) }, { MaxPool2d(3, stride = 1, pad = 1), Conv2d(4, 3, 1) } },
        tap t,
        Conv2d(5, 5, 3, pad = 1), ReLU,
        skip(t) { Conv2d(5, 5, 1) },
        GlobalAvgPool2d, Flatten, Linear(5, 3),
    }
}

network! {
    /// Two Dropouts: their masks must continue where they were after a resume.
    struct Dropped: [2, 8, 8] {
        Conv2d(2, 4, 3, pad = 1), ReLU, Dropout(0.25),
        GlobalAvgPool2d, Flatten, Linear(4, 8), ReLU, Dropout(0.5), Linear(8, 3),
    }
}

type In = Shape3<U2, U8, U8>;

#[test]
fn digits_cnn_names_are_nn_sequential_state_dict_keys() {
    // The table examples/digits.rs used to spell out by hand (PyTorch loads it strict).
    let want: [(&str, &[usize]); 8] = [
        ("0.weight", &[32, 1, 3, 3]),
        ("0.bias", &[32]),
        ("2.weight", &[32, 32, 3, 3]),
        ("2.bias", &[32]),
        ("5.weight", &[64, 32, 3, 3]),
        ("5.bias", &[64]),
        ("10.weight", &[10, 256]),
        ("10.bias", &[10]),
    ];
    assert_eq!(Cnn::TENSORS, &want[..]);
}

#[test]
fn block_names_follow_visit_order_and_sizes() {
    let want: &[(&str, &[usize])] = &[
        ("0.weight", &[4, 2, 3, 3]),
        ("0.bias", &[4]),
        ("1.weight", &[4]),
        ("1.bias", &[4]),
        ("3.body.0.weight", &[4, 4, 3, 3]),
        ("3.body.1.weight", &[4]),
        ("3.body.1.bias", &[4]),
        ("3.shortcut.0.weight", &[4, 4, 1, 1]),
        ("3.shortcut.0.bias", &[4]),
        ("5.0.0.weight", &[2, 4, 1, 1]),
        ("5.0.0.bias", &[2]),
        ("5.1.1.weight", &[3, 4, 1, 1]),
        ("5.1.1.bias", &[3]),
        ("6.weight", &[5, 5, 3, 3]),
        ("6.bias", &[5]),
        ("8.0.weight", &[5, 5, 1, 1]),
        ("8.0.bias", &[5]),
        ("11.weight", &[3, 5]),
        ("11.bias", &[3]),
        ("1.running_mean", &[4]),
        ("1.running_var", &[4]),
        ("3.body.1.running_mean", &[4]),
        ("3.body.1.running_var", &[4]),
    ];
    assert_eq!(Blocks::TENSORS, want);
    // Each listed size is the size of the tensor visited at that position.
    let net = Blocks::new(0);
    let mut lens = Vec::new();
    net.visit(&mut |p| lens.push(p.len()));
    net.visit_buffers(&mut |b| lens.push(b.len()));
    let listed: Vec<usize> = want.iter().map(|(_, s)| s.iter().product()).collect();
    assert_eq!(lens, listed);
}

#[test]
fn alexnet_names_have_torchvision_shapes_in_order() {
    // torchvision's AlexNet is an nn.Sequential too (`features`, `classifier`): the generated
    // names are one list's indices, the shapes must be torchvision's, in order.
    let torch = dl_models::names::alexnet();
    let ours = io::named::names::<dl_models::AlexNet<U224>>();
    let shapes: Vec<&[usize]> = ours.iter().map(|t| &t.1[..]).collect();
    let want: Vec<&[usize]> = torch.0.iter().map(|p| &p.shape[..]).collect();
    assert_eq!(shapes, want);
}

/// A batch of `n` deterministic inputs and class targets for [`Blocks`].
fn data(n: usize, seed: u64) -> (Batch<Shape3<U2, U8, U8>>, Vec<usize>) {
    let mut rng = dl::rng::Rng::new(seed);
    let x: Vec<f32> = (0..n * 128).map(|_| rng.normal()).collect();
    let labels = (0..n).map(|i| (i * 7 + seed as usize) % 3).collect();
    (Batch::from_vec(x).unwrap(), labels)
}

/// `steps` training steps of `net` with `opt`, on batches drawn from `seed + step`.
fn train<N>(net: &mut N, opt: &mut impl Optimizer, from: u64, steps: u64)
where
    N: Train<In, Out = Shape1<U3>>,
{
    let mut grad = zeroed_box::<N::Grad>();
    let (mut y, mut dx, mut cache) = (Batch::default(), Batch::default(), Default::default());
    for s in from..from + steps {
        let (x, labels) = data(8, s);
        net.forward_train(&x, &mut y, &mut cache);
        let (_, dy) = dl::loss::softmax_cross_entropy(&y, &labels).unwrap();
        grad.zero();
        net.backward(&x, &y, &dy, &mut dx, &mut cache, &mut grad);
        opt.step(net, &grad);
    }
}

fn all(net: &impl Module) -> Vec<u32> {
    let mut v = Vec::new();
    net.visit(&mut |p| v.extend(p.iter().map(|f| f.to_bits())));
    net.visit_buffers(&mut |b| v.extend(b.iter().map(|f| f.to_bits())));
    v
}

/// What a checkpoint restores: the weights, the optimiser, and (unless `generators` is false)
/// the Dropout generators.
#[derive(Clone, Copy, PartialEq)]
enum Restore {
    All,
    NoOptimizer,
    NoGenerators,
}

/// Parameters after k + m steps are the same, to the bit, with and without a save and a load
/// (weights, optimiser state and generators, through files) after step k; leaving out the
/// optimiser state or the generators changes them (so the test can tell).
fn resumes_exactly<N, O>(new: impl Fn(u64) -> Box<N>, make: impl Fn() -> O, tag: &str)
where
    N: Train<In, Out = Shape1<U3>> + Named,
    O: Optimizer,
{
    let (k, m) = (5, 4);
    let mut straight = new(3);
    let mut opt = make();
    train(&mut *straight, &mut opt, 0, k + m);
    let resumed = |restore: Restore| {
        let mut first = new(3);
        let mut opt = make();
        train(&mut *first, &mut opt, 0, k);
        let dir = std::env::temp_dir();
        let file = |ext: &str| {
            let id = std::process::id();
            dir.join(format!("dl-checkpoint-{tag}-{id}.{ext}.safetensors"))
        };
        let (w, o, g) = (file("w"), file("opt"), file("rng"));
        io::save(&w, &first).unwrap();
        io::save_optimizer(&o, &opt).unwrap();
        io::save_generators(&g, &first).unwrap();
        drop((first, opt));

        let mut net = new(99); // other weights and generators: all must come from the files
        let mut opt = make();
        io::load(&w, &mut net).unwrap();
        if restore != Restore::NoOptimizer {
            io::load_optimizer(&o, &mut opt).unwrap();
        }
        if restore != Restore::NoGenerators {
            io::load_generators(&g, &mut net).unwrap();
        }
        let _ = [w, o, g].map(std::fs::remove_file);
        train(&mut *net, &mut opt, k, m);
        all(&net)
    };
    assert_eq!(all(&straight), resumed(Restore::All), "{tag}");
    assert_ne!(all(&straight), resumed(Restore::NoOptimizer), "{tag}");
    let mut generators = 0;
    straight.visit_generators(&mut |_| generators += 1);
    if generators > 0 {
        assert_ne!(all(&straight), resumed(Restore::NoGenerators), "{tag}");
    }
}

#[test]
fn adam_training_resumes_exactly_after_save_and_load() {
    resumes_exactly(Blocks::new, || Adam::new(1e-2).weight_decay(1e-3), "adam");
}

/// With Dropout the masks after the resume must be the ones the straight run drew.
#[test]
fn training_with_dropout_resumes_exactly() {
    let mut n = 0;
    Dropped::new(0).visit_generators(&mut |_| n += 1);
    assert_eq!(n, 2, "each Dropout's generator is visited");
    resumes_exactly(Dropped::new, || Adam::new(1e-2), "dropout");
    // A file for another number of generators is refused, naming both counts.
    let bytes = io::generators_to_bytes(&Dropped::new(1)).unwrap();
    let e = io::generators_from_bytes(&bytes, &mut Blocks::new(1)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the file holds 2 generator states, the network has 0 random generators (one per Dropout)"
    );
}

#[test]
fn momentum_sgd_training_resumes_exactly_after_save_and_load() {
    resumes_exactly(Blocks::new, || Sgd::nesterov(5e-2, 0.9), "nesterov");
}

#[test]
fn save_load_gives_identical_predictions_with_generated_names() {
    let mut net = Blocks::new(1);
    train(&mut *net, &mut Adam::new(1e-2), 0, 3); // running statistics move off 0 / 1
    let bytes = io::to_bytes(&*net).unwrap();
    let mut back = Blocks::new(2);
    io::from_bytes(&bytes, &mut *back).unwrap();
    let (x, _) = data(6, 42);
    let (a, b) = (net.forward(&x), back.forward(&x));
    assert_eq!(a.as_slice(), b.as_slice());
    // The file holds the generated names (and PyTorch's num_batches_tracked beside BatchNorms).
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<String> = st.names().into_iter().map(String::from).collect();
    names.sort();
    assert!(names.contains(&"3.body.1.running_var".to_string()));
    assert!(names.contains(&"1.num_batches_tracked".to_string()));
    assert_eq!(names.len(), Blocks::TENSORS.len() + 2);
}

#[test]
fn optimizer_state_of_another_kind_is_refused_and_leaves_it_unchanged() {
    let mut net = Blocks::new(1);
    let mut adam = Adam::new(1e-2);
    train(&mut *net, &mut adam, 0, 1);
    let bytes = io::optimizer_to_bytes(&adam).unwrap();
    let mut sgd = Sgd::with_momentum(0.1, 0.9);
    let before = sgd.state();
    let e = io::optimizer_from_bytes(&bytes, &mut sgd).unwrap_err();
    assert!(
        e.to_string()
            .contains("has 2 buffers, this optimiser keeps 1"),
        "{e}"
    );
    assert_eq!(sgd.state(), before);
}
