// The box `Network::new` returns goes wherever the network does for weights: save, load, the
// raw image's length, a parameter count; with only the prelude imported.
use dl::prelude::*;

type Net = Network<Shape1<U3>, Seq![Linear<U3, U8>, ReLU, Linear<U8, U2>]>;

fn params<M: Module>(_: &M) -> usize {
    M::PARAMS
}

fn main() {
    let mut net = Net::new(0);
    let names = [
        ("0.weight", vec![8, 3]),
        ("0.bias", vec![8]),
        ("2.weight", vec![2, 8]),
        ("2.bias", vec![2]),
    ];
    let path = std::env::temp_dir().join(format!("dl-typed-boxed-{}.safetensors", std::process::id()));
    io::save_with_names(&path, &net, &names).unwrap();
    let x = Batch::from_vec(vec![0.25, -1.0, 2.0]).unwrap();
    let before = net.forward(&x);
    let mut other = Net::new(1);
    assert_ne!(other.forward(&x).as_slice(), before.as_slice());
    io::load_with_names(&path, &mut other, &names).unwrap();
    assert_eq!(other.forward(&x).as_slice(), before.as_slice());
    assert_eq!(io::raw_len(&net), 50 * 4);
    assert_eq!(params(&net), 50);
    net.zero();
    assert!(net.forward(&x).as_slice().iter().all(|v| *v == 0.0));
    let _ = std::fs::remove_file(path);
}
