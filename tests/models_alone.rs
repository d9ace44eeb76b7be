//! Every dl-models type compiles alone, at every offered input size, in a fresh crate with
//! default settings (recursion limit 128): one tiny crate per model and size, each naming only
//! that type, building it, running a forward pass and making its gradient — so nothing relies on
//! another model having been type-checked first (ResNet-152 once did). All crates sit in one
//! generated workspace (`target/models-alone/`) checked by a single `cargo check`, which reports
//! every crate that fails. `MODELS_ALONE=kws01,vww01` (names from [`MODELS`], comma-separated)
//! generates and checks only those.
use std::path::Path;
use std::process::Command;

/// `(crate name, the type as a user writes it)`.
const MODELS: &[(&str, &str)] = &[
    ("mlp", "dl_models::Mlp"),
    ("lenet5", "dl_models::LeNet5"),
    ("alexnet_224", "dl_models::AlexNet<U224>"),
    ("alexnet_63", "dl_models::AlexNet<U63>"),
    ("alexnet_lrn", "dl_models::AlexNetLrn"),
    ("nin_32", "dl_models::Nin<U32>"),
    ("nin_64", "dl_models::Nin<U64>"),
    ("vgg11_224", "dl_models::Vgg11<U224>"),
    ("vgg11_32", "dl_models::Vgg11<U32>"),
    ("vgg16_224", "dl_models::Vgg16<U224>"),
    ("vgg16_32", "dl_models::Vgg16<U32>"),
    ("googlenet_224", "dl_models::GoogLeNet<U224>"),
    ("googlenet_32", "dl_models::GoogLeNet<U32>"),
    ("resnet18_224", "dl_models::ResNet18<U224>"),
    ("resnet18_32", "dl_models::ResNet18<U32>"),
    ("resnet34_224", "dl_models::ResNet34<U224>"),
    ("resnet34_32", "dl_models::ResNet34<U32>"),
    ("resnet50_224", "dl_models::ResNet50<U224>"),
    ("resnet50_32", "dl_models::ResNet50<U32>"),
    ("resnet101_224", "dl_models::ResNet101<U224>"),
    ("resnet101_32", "dl_models::ResNet101<U32>"),
    ("resnet152_224", "dl_models::ResNet152<U224>"),
    ("resnet152_32", "dl_models::ResNet152<U32>"),
    ("fcn32s_224", "dl_models::Fcn32s<U224>"),
    ("fcn32s_64", "dl_models::Fcn32s<U64>"),
    ("fcn32s_32", "dl_models::Fcn32s<U32>"),
    ("fcn16s_224", "dl_models::Fcn16s<U224>"),
    ("fcn16s_64", "dl_models::Fcn16s<U64>"),
    ("fcn16s_32", "dl_models::Fcn16s<U32>"),
    ("fcn8s_224", "dl_models::Fcn8s<U224>"),
    ("fcn8s_64", "dl_models::Fcn8s<U64>"),
    ("fcn8s_32", "dl_models::Fcn8s<U32>"),
    ("context_32", "dl_models::Context<U32>"),
    ("context_64", "dl_models::Context<U64>"),
    ("context_97", "dl_models::Context<U97>"),
    ("ad01", "dl_models::Ad01"),
    ("ic01", "dl_models::Ic01"),
    ("kws01", "dl_models::Kws01"),
    ("vww01", "dl_models::Vww01"),
];

const MAIN: &str = r#"#![allow(unused_imports)]
use dl_core::consts::*;
use dl_core::{Batch, Layer, Module, Train};

type Net = MODEL;

fn main() {
    let net = <Net>::new(0);
    let x = Batch::zeros(1);
    let y = Layer::forward(&*net, &x);
    let _grad = dl_core::zeroed_box::<<Net as Train<_>>::Grad>();
    assert_eq!(y.len(), 1);
    assert!(<Net as Module>::PARAMS > 0);
}
"#;

#[test]
fn every_model_compiles_alone_in_a_fresh_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = root.join("target/models-alone");
    let only = std::env::var("MODELS_ALONE").ok();
    let chosen = |name: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|n| n.trim() == name))
    };
    let mut members = Vec::new();
    for (name, ty) in MODELS.iter().filter(|(name, _)| chosen(name)) {
        let dir = ws.join(name);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let manifest = format!(
            "[package]\nname = \"alone-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             publish = false\n\n[dependencies]\n\
             dl-core = {{ package = \"typed-dl-core\", path = \"{core}\" }}\ndl-models = {{ package = \"typed-dl-models\", path = \"{models}\" }}\n",
            name = name.replace('_', "-"),
            core = root.join("dl-core").display(),
            models = root.join("dl-models").display(),
        );
        write_if_changed(&dir.join("Cargo.toml"), &manifest);
        write_if_changed(&dir.join("src/main.rs"), &MAIN.replace("MODEL", ty));
        members.push(format!("\"{name}\""));
    }
    assert!(
        !members.is_empty(),
        "MODELS_ALONE={only:?} names none of the models in MODELS"
    );
    let workspace = format!(
        "[workspace]\nmembers = [{}]\nresolver = \"2\"\n",
        members.join(", ")
    );
    write_if_changed(&ws.join("Cargo.toml"), &workspace);
    // The outer lock file pins the same dependency versions (and lets `--offline` resolve).
    std::fs::copy(root.join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&ws)
        .args(["check", "--offline", "--workspace", "--keep-going"])
        .arg("--message-format=short")
        .env("CARGO_TARGET_DIR", ws.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: could not compile"))
        .collect();
    assert!(
        out.status.success() && failed.is_empty(),
        "some dl-models types do not compile alone:\n{}\n\n{stderr}",
        failed.join("\n")
    );
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}
