//! A training batch too small for a BatchNorm (one value per channel) is an error from
//! `try_forward_train`, naming the layer's field, in `network!` structs as in dl-core chains.
use dl::guard::{At, TrainBatchError};
use dl::{network, Batch, Train};

network! {
    /// A 2×2 map pooled to 1×1 before a BatchNorm2d: one sample gives one value per channel.
    struct Pooled: [1, 4, 4] {
        Conv2d(1, 3, 3, pad = 1), BatchNorm2d(3), ReLU, MaxPool2d(4),
        residual { BatchNorm2d(3), ReLU },
        Flatten, Linear(3, 2), BatchNorm1d(2),
    }
}

#[test]
fn network_struct_names_the_field() {
    let mut net = Pooled::new(0);
    let x = Batch::from_vec(vec![0.25; 16]).unwrap();
    let (mut y, mut cache) = (Batch::default(), Default::default());
    let e = net.try_forward_train(&x, &mut y, &mut cache).unwrap_err();
    let field = match e.at {
        Some(At::Field(f)) => f,
        at => panic!("{at:?}"),
    };
    assert_eq!(
        field, "bn2",
        "the residual's BatchNorm2d (the first is `bn1`)"
    );
    assert_eq!(
        (e.layer, e.channels, e.per_sample, e.samples),
        ("BatchNorm2d", 3, 1, 1),
        "the first BatchNorm2d sees 16 values per channel, the residual's one"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "training BatchNorm2d(3) (field `{field}`): expected more than 1 value per channel, \
             got 1 (1 sample × 1 value per channel): the batch variance of one value is \
             undefined; train on more samples per batch (or a larger map), or use eval mode \
             (`forward` / `infer`)"
        )
    );
    assert_eq!(y.len(), 0, "nothing ran");
    // Two samples suit every layer and train.
    let x = Batch::from_vec(vec![0.25; 32]).unwrap();
    assert_eq!(net.try_forward_train(&x, &mut y, &mut cache), Ok(()));
    assert_eq!(y.len(), 2);
    assert_eq!(net.check_train_batch(0), Ok(()));
    let _: fn(&Pooled, usize) -> Result<(), TrainBatchError> = |n, b| n.check_train_batch(b);
}
