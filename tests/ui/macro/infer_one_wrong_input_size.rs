use dl::network;

network! {
    pub struct Net: [1, 28, 28] {
        Conv2d(1, 4, 5), ReLU, MaxPool2d(2),
        Flatten,
        Linear(576, 10),
    }
}

fn main() {
    let net = Net::new(0);
    let image = [[[0.0f32; 32]; 32]; 1];
    let mut arena = [0.0f32; Net::ARENA_LEN];
    let _logits = net.infer_one(&image, &mut arena);
}
