// dl-models depends on dl-core only: the crate path is configurable.
dl_macros::network! {
    #[network(crate = ::dl_core)]
    pub struct Core: [10] { Linear(10, 4), ReLU, Linear(4, 1) }
}

fn main() {
    let _ = Core::new(0);
}
