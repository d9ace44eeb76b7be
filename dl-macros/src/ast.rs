//! Parsing: the `network!` input as written, with every token kept for error spans.
//!
//! ```text
//! /// docs
//! #[network(crate = ::dl_core)]          // optional, default ::dl
//! pub struct Name: [C, H, W] {           // or [N]
//!     Conv2d(1, 6, 5, stride = 1), ReLU, // PyTorch names, named hyper-parameters
//!     residual { … } shortcut { … },     // shortcut optional (identity)
//!     concat { { … }, { … } },           // parallel branches joined along channels
//!     tap pool4, …, skip(pool4, crop = 5) { Conv2d(21, 1) },
//!     repeat(3) { … },
//! }
//! ```
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{
    braced, bracketed, parenthesized, Attribute, Ident, LitBool, LitFloat, LitInt, Path, Token,
};

/// The whole invocation.
pub struct Net {
    pub attrs: Vec<Attribute>,
    pub krate: Option<Path>,
    pub vis: syn::Visibility,
    pub name: Ident,
    pub input: Vec<LitInt>,
    pub input_tokens: TokenStream,
    pub body: Vec<Item>,
}

/// One entry of a layer list.
pub enum Item {
    Layer(Call),
    Residual {
        kw: Ident,
        body: Vec<Item>,
        shortcut: Option<(Ident, Vec<Item>)>,
    },
    Concat {
        kw: Ident,
        branches: Vec<(TokenStream, Vec<Item>)>,
    },
    Tap {
        name: Ident,
    },
    Skip {
        tokens: TokenStream,
        tap: Ident,
        args: Vec<Arg>,
        branch: Vec<Item>,
    },
    Repeat {
        count: Count,
        body: Vec<Item>,
    },
}

/// A `repeat(…)` count as written, a minus sign included (reported by the validator).
pub struct Count {
    pub tokens: TokenStream,
    pub lit: LitInt,
    pub negative: bool,
}

/// A layer: `Name` or `Name(args…)`.
pub struct Call {
    pub name: Ident,
    pub args: Vec<Arg>,
    /// The whole call, for spans.
    pub tokens: TokenStream,
}

/// `value` or `name = value`.
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Value,
    /// Written with a minus sign (`pad = -1`): parsed so the validator can name the argument.
    pub negative: bool,
    pub tokens: TokenStream,
}

/// An argument's value.
pub enum Value {
    Int(LitInt),
    Float(LitFloat),
    Ident(Ident),
    /// `true` / `false` (`bias = false`, `ceil_mode = true`): a keyword, not an [`Ident`], to syn.
    Bool(LitBool),
    /// A tuple of whole numbers, PyTorch's per-axis form: `(10, 4)`, `(0, 1, 0, 1)`.
    Tuple(Vec<LitInt>),
    /// A string: `pad = "same"` (TF/Keras) or `"valid"`.
    Str(syn::LitStr),
}

impl Parse for Net {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let all = input.call(Attribute::parse_outer)?;
        let mut attrs = Vec::new();
        let mut krate = None;
        for a in all {
            if a.path().is_ident("network") {
                a.parse_nested_meta(|m| {
                    if m.path.is_ident("crate") {
                        krate = Some(m.value()?.parse::<Path>()?);
                        Ok(())
                    } else {
                        Err(m.error("unknown network option; expected `crate = path`"))
                    }
                })?;
            } else {
                attrs.push(a);
            }
        }
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let dims;
        let bracket = bracketed!(dims in input);
        let list: Punctuated<LitInt, Token![,]> =
            dims.parse_terminated(LitInt::parse, Token![,])?;
        let input_list: Vec<LitInt> = list.into_iter().collect();
        let mut input_tokens = TokenStream::new();
        bracket.surround(&mut input_tokens, |t| {
            for l in &input_list {
                l.to_tokens(t);
            }
        });
        let content;
        braced!(content in input);
        let body = parse_list(&content)?;
        Ok(Net {
            attrs,
            krate,
            vis,
            name,
            input: input_list,
            input_tokens,
            body,
        })
    }
}

/// Comma-separated items up to the end of `input`.
fn parse_list(input: ParseStream) -> syn::Result<Vec<Item>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        items.push(input.parse()?);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(items)
}

fn braced_list(input: ParseStream) -> syn::Result<Vec<Item>> {
    let content;
    braced!(content in input);
    parse_list(&content)
}

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let fork = input.fork();
        let name: Ident = input.parse()?;
        match name.to_string().as_str() {
            "residual" if input.peek(syn::token::Brace) => {
                let body = braced_list(input)?;
                let shortcut = if input.peek(Ident) && input.fork().parse::<Ident>()? == "shortcut"
                {
                    let kw: Ident = input.parse()?;
                    Some((kw, braced_list(input)?))
                } else {
                    None
                };
                Ok(Item::Residual {
                    kw: name,
                    body,
                    shortcut,
                })
            }
            "concat" if input.peek(syn::token::Brace) => {
                let content;
                braced!(content in input);
                let mut branches = Vec::new();
                while !content.is_empty() {
                    let c2;
                    let brace = braced!(c2 in content);
                    let mut toks = TokenStream::new();
                    brace.surround(&mut toks, |_| {});
                    branches.push((toks, parse_list(&c2)?));
                    if content.is_empty() {
                        break;
                    }
                    content.parse::<Token![,]>()?;
                }
                Ok(Item::Concat { kw: name, branches })
            }
            "tap" if input.peek(Ident) => {
                let tap: Ident = input.parse()?;
                Ok(Item::Tap { name: tap })
            }
            "skip" if input.peek(syn::token::Paren) => {
                let content;
                let paren = parenthesized!(content in input);
                let tap: Ident = content.parse()?;
                let mut args = Vec::new();
                while !content.is_empty() {
                    content.parse::<Token![,]>()?;
                    if content.is_empty() {
                        break;
                    }
                    args.push(content.parse()?);
                }
                let mut tokens = name.to_token_stream();
                paren.surround(&mut tokens, |t| tap.to_tokens(t));
                let branch = if input.peek(syn::token::Brace) {
                    braced_list(input)?
                } else {
                    Vec::new()
                };
                Ok(Item::Skip {
                    tokens,
                    tap,
                    args,
                    branch,
                })
            }
            "repeat" if input.peek(syn::token::Paren) => {
                let content;
                parenthesized!(content in input);
                let mut tokens = TokenStream::new();
                let negative = content.peek(Token![-]);
                if negative {
                    content.parse::<Token![-]>()?.to_tokens(&mut tokens);
                }
                let lit: LitInt = content.parse()?;
                lit.to_tokens(&mut tokens);
                let count = Count {
                    tokens,
                    lit,
                    negative,
                };
                let body = braced_list(input)?;
                Ok(Item::Repeat { count, body })
            }
            _ => {
                let _ = fork;
                let mut tokens = name.to_token_stream();
                let mut args = Vec::new();
                if input.peek(syn::token::Paren) {
                    let content;
                    let paren = parenthesized!(content in input);
                    let list: Punctuated<Arg, Token![,]> =
                        content.parse_terminated(Arg::parse, Token![,])?;
                    args = list.into_iter().collect();
                    paren.surround(&mut tokens, |t| {
                        for a in &args {
                            a.tokens.to_tokens(t);
                        }
                    });
                }
                Ok(Item::Layer(Call { name, args, tokens }))
            }
        }
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut tokens = TokenStream::new();
        let name = if input.peek(Ident) && input.peek2(Token![=]) {
            let n: Ident = input.parse()?;
            let eq: Token![=] = input.parse()?;
            n.to_tokens(&mut tokens);
            eq.to_tokens(&mut tokens);
            Some(n)
        } else {
            None
        };
        let negative = input.peek(Token![-]);
        if negative {
            input.parse::<Token![-]>()?.to_tokens(&mut tokens);
            if !input.peek(LitInt) && !input.peek(LitFloat) {
                return Err(input.error("expected a number after `-`"));
            }
        }
        let value = if input.peek(LitInt) {
            let l: LitInt = input.parse()?;
            l.to_tokens(&mut tokens);
            Value::Int(l)
        } else if input.peek(LitFloat) {
            let l: LitFloat = input.parse()?;
            l.to_tokens(&mut tokens);
            Value::Float(l)
        } else if input.peek(LitBool) {
            let l: LitBool = input.parse()?;
            l.to_tokens(&mut tokens);
            Value::Bool(l)
        } else if input.peek(Ident) {
            let l: Ident = input.parse()?;
            l.to_tokens(&mut tokens);
            Value::Ident(l)
        } else if input.peek(syn::LitStr) && !negative {
            let l: syn::LitStr = input.parse()?;
            l.to_tokens(&mut tokens);
            Value::Str(l)
        } else if input.peek(syn::token::Paren) && !negative {
            let inner;
            let paren = parenthesized!(inner in input);
            let list: Punctuated<LitInt, Token![,]> =
                inner.parse_terminated(LitInt::parse, Token![,])?;
            let items: Vec<LitInt> = list.into_iter().collect();
            paren.surround(&mut tokens, |t| {
                for (i, l) in items.iter().enumerate() {
                    if i > 0 {
                        <Token![,]>::default().to_tokens(t);
                    }
                    l.to_tokens(t);
                }
            });
            Value::Tuple(items)
        } else {
            return Err(input.error(
                "expected a number, a name, a tuple or a string (`5`, `0.5`, `stride = 2`, \
                 `(10, 4)`, `pad = \"same\"`)",
            ));
        };
        Ok(Arg {
            name,
            value,
            negative,
            tokens,
        })
    }
}

/// The span of a token stream's first token, for messages that need a bare span.
pub fn first_span(t: &TokenStream) -> Span {
    t.clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tt| tt.span())
}
