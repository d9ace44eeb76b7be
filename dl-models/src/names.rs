//! PyTorch `state_dict` names of the trainable parameters, in [`dl_core::Module::visit`] order,
//! so weights saved from torchvision can be matched tensor by tensor, one to one (a `bias=False`
//! convolution is `bias = false` in `network!` too: no bias listed, none visited). BatchNorm
//! running statistics are not
//! trainable and not visited; they live in the `bn*` fields under the same prefix
//! (`running_mean`, `running_var`).
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// One trainable tensor: its PyTorch name and shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// `layer1.0.conv1.weight`.
    pub name: String,
    /// `[64, 64, 3, 3]`.
    pub shape: Vec<usize>,
}

/// Collects [`Param`]s.
#[derive(Default)]
pub struct Names(pub Vec<Param>);

impl Names {
    fn push(&mut self, name: String, shape: Vec<usize>) {
        self.0.push(Param { name, shape });
    }
    /// `{p}.weight [o, i, k, k]`, and `{p}.bias [o]` when `bias` (PyTorch's `bias=`).
    pub fn conv(&mut self, p: &str, i: usize, o: usize, k: usize, bias: bool) {
        self.push(format!("{p}.weight"), vec![o, i, k, k]);
        if bias {
            self.push(format!("{p}.bias"), vec![o]);
        }
    }
    /// `{p}.weight [i, o, k, k]` (PyTorch's `ConvTranspose2d` layout), and `{p}.bias [o]` when
    /// `bias`.
    pub fn conv_t(&mut self, p: &str, i: usize, o: usize, k: usize, bias: bool) {
        self.push(format!("{p}.weight"), vec![i, o, k, k]);
        if bias {
            self.push(format!("{p}.bias"), vec![o]);
        }
    }
    /// BatchNorm `{p}.weight [c]`, `{p}.bias [c]`.
    pub fn bn(&mut self, p: &str, c: usize) {
        self.push(format!("{p}.weight"), vec![c]);
        self.push(format!("{p}.bias"), vec![c]);
    }
    /// `{p}.weight [o, i]`, `{p}.bias [o]`.
    pub fn linear(&mut self, p: &str, i: usize, o: usize) {
        self.push(format!("{p}.weight"), vec![o, i]);
        self.push(format!("{p}.bias"), vec![o]);
    }
    /// Elements of all the listed tensors (torchvision's parameter count).
    pub fn torch_params(&self) -> usize {
        self.0
            .iter()
            .map(|p| p.shape.iter().product::<usize>())
            .sum()
    }
}

/// torchvision `resnet18/34` (`bottleneck == false`) or `resnet50/101/152`, `blocks` per stage.
pub fn resnet(blocks: [usize; 4], bottleneck: bool) -> Names {
    let mut n = Names::default();
    n.conv("conv1", 3, 64, 7, false);
    n.bn("bn1", 64);
    let exp = if bottleneck { 4 } else { 1 };
    let mut inp = 64;
    for (s, &nb) in blocks.iter().enumerate() {
        let planes = 64 << s;
        for b in 0..nb {
            let p = format!("layer{}.{b}", s + 1);
            if bottleneck {
                n.conv(&format!("{p}.conv1"), inp, planes, 1, false);
                n.bn(&format!("{p}.bn1"), planes);
                n.conv(&format!("{p}.conv2"), planes, planes, 3, false);
                n.bn(&format!("{p}.bn2"), planes);
                n.conv(&format!("{p}.conv3"), planes, planes * 4, 1, false);
                n.bn(&format!("{p}.bn3"), planes * 4);
            } else {
                n.conv(&format!("{p}.conv1"), inp, planes, 3, false);
                n.bn(&format!("{p}.bn1"), planes);
                n.conv(&format!("{p}.conv2"), planes, planes, 3, false);
                n.bn(&format!("{p}.bn2"), planes);
            }
            if b == 0 && (s > 0 || inp != planes * exp) {
                n.conv(&format!("{p}.downsample.0"), inp, planes * exp, 1, false);
                n.bn(&format!("{p}.downsample.1"), planes * exp);
            }
            inp = planes * exp;
        }
    }
    n.linear("fc", 512 * exp, 1000);
    n
}

/// torchvision `vgg11` / `vgg16`: `cfg` lists output channels, 0 for a max-pool.
pub fn vgg(cfg: &[usize]) -> Names {
    let mut n = Names::default();
    let (mut i, mut c) = (0, 3);
    for &o in cfg {
        if o == 0 {
            i += 1;
        } else {
            n.conv(&format!("features.{i}"), c, o, 3, true);
            c = o;
            i += 2;
        }
    }
    n.linear("classifier.0", 25088, 4096);
    n.linear("classifier.3", 4096, 4096);
    n.linear("classifier.6", 4096, 1000);
    n
}
/// VGG-11's configuration A.
pub const VGG11_CFG: &[usize] = &[64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0];
/// VGG-16's configuration D.
pub const VGG16_CFG: &[usize] = &[
    64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0,
];

/// torchvision `alexnet`.
pub fn alexnet() -> Names {
    let mut n = Names::default();
    n.conv("features.0", 3, 64, 11, true);
    n.conv("features.3", 64, 192, 5, true);
    n.conv("features.6", 192, 384, 3, true);
    n.conv("features.8", 384, 256, 3, true);
    n.conv("features.10", 256, 256, 3, true);
    n.linear("classifier.1", 9216, 4096);
    n.linear("classifier.4", 4096, 4096);
    n.linear("classifier.6", 4096, 1000);
    n
}

/// torchvision `googlenet(aux_logits=False)`: `BasicConv2d` is `{p}.conv` + `{p}.bn`.
#[cfg(feature = "googlenet")]
pub fn googlenet() -> Names {
    let mut n = Names::default();
    let basic = |n: &mut Names, p: &str, i: usize, o: usize, k: usize| {
        n.conv(&format!("{p}.conv"), i, o, k, false);
        n.bn(&format!("{p}.bn"), o);
    };
    basic(&mut n, "conv1", 3, 64, 7);
    basic(&mut n, "conv2", 64, 64, 1);
    basic(&mut n, "conv3", 64, 192, 3);
    let names = ["3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"];
    for (m, name) in crate::googlenet::INCEPTION.iter().zip(names) {
        let p = format!("inception{name}");
        basic(&mut n, &format!("{p}.branch1"), m[0], m[1], 1);
        basic(&mut n, &format!("{p}.branch2.0"), m[0], m[2], 1);
        basic(&mut n, &format!("{p}.branch2.1"), m[2], m[3], 3);
        basic(&mut n, &format!("{p}.branch3.0"), m[0], m[4], 1);
        basic(&mut n, &format!("{p}.branch3.1"), m[4], m[5], 3);
        basic(&mut n, &format!("{p}.branch4.1"), m[0], m[6], 1);
    }
    n.linear("fc", 1024, 1000);
    n
}
