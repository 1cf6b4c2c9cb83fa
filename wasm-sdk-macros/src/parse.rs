//! Parse: the attribute's tokens into name lists, by hand, so every
//! malformed piece gets its own spanned error and parsing continues.

use crate::check::Errors;
use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};

/// Which list a name belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Input,
    Output,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Input => "inputs",
            Kind::Output => "outputs",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Kind::Input => "input",
            Kind::Output => "output",
        }
    }
}

/// One `inputs(...)` or `outputs(...)` argument.
pub struct PortList {
    pub names: Vec<Ident>,
}

/// The attribute's arguments; a list is `None` when it was not given or
/// was too malformed to read (`given` tells which, so a malformed list is
/// not also reported as missing).
#[derive(Default)]
pub struct Args {
    pub inputs: Option<PortList>,
    pub outputs: Option<PortList>,
    pub given: Vec<Kind>,
}

const EXPECTED: &str = "expected `inputs(...)` or `outputs(...)`, e.g. \
                        `#[task_run(inputs(data), outputs(result))]`";

pub fn parse_args(attr: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let mut tokens = attr.into_iter().peekable();
    while let Some(token) = tokens.next() {
        let key = match token {
            TokenTree::Ident(key) => key,
            other => {
                errors.push(other.span(), EXPECTED);
                skip_to_comma(&mut tokens);
                continue;
            }
        };
        let kind = match key.to_string().as_str() {
            "inputs" => Kind::Input,
            "outputs" => Kind::Output,
            name => {
                let message = match name {
                    "input" | "in" => {
                        format!("unknown argument `{name}`; did you mean `inputs(...)`?")
                    }
                    "output" | "out" => {
                        format!("unknown argument `{name}`; did you mean `outputs(...)`?")
                    }
                    _ => format!("unknown argument `{name}`; {EXPECTED}"),
                };
                errors.push(key.span(), message);
                skip_to_comma(&mut tokens);
                continue;
            }
        };
        args.given.push(kind);
        let list = match tokens.peek() {
            Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => {
                let group = group.clone();
                tokens.next();
                Some(parse_list(kind, group.stream(), errors))
            }
            _ => {
                errors.push(
                    key.span(),
                    format!(
                        "`{k}` needs a parenthesized list of names: `{k}(name, ...)`",
                        k = kind.key()
                    ),
                );
                skip_to_comma(&mut tokens);
                continue;
            }
        };
        let slot = match kind {
            Kind::Input => &mut args.inputs,
            Kind::Output => &mut args.outputs,
        };
        if slot.is_some() {
            errors.push(key.span(), format!("`{}` appears more than once", kind.key()));
        } else {
            *slot = list;
        }
        match tokens.next() {
            None => break,
            Some(TokenTree::Punct(p)) if p.as_char() == ',' => {}
            Some(other) => {
                errors.push(other.span(), "expected `,` between arguments");
                skip_to_comma(&mut tokens);
            }
        }
    }
    args
}

fn parse_list(kind: Kind, stream: TokenStream, errors: &mut Errors) -> PortList {
    let mut names = Vec::new();
    let mut tokens = stream.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Ident(name) => {
                if matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == ':') {
                    errors.push(
                        name.span(),
                        format!("{} names are plain identifiers, not paths", kind.noun()),
                    );
                    skip_to_comma(&mut tokens);
                    continue;
                }
                names.push(name);
            }
            TokenTree::Literal(lit) if lit.to_string().starts_with('"') => {
                let text = lit.to_string();
                errors.push(
                    lit.span(),
                    format!(
                        "{} names are identifiers, not strings: write `{}`",
                        kind.noun(),
                        text.trim_matches('"')
                    ),
                );
            }
            other => {
                errors.push(
                    other.span(),
                    format!("expected an {} name (an identifier), found `{other}`", kind.noun()),
                );
                skip_to_comma(&mut tokens);
                continue;
            }
        }
        match tokens.next() {
            None => break,
            Some(TokenTree::Punct(p)) if p.as_char() == ',' => {}
            Some(other) => {
                errors.push(other.span(), format!("expected `,` between {} names", kind.noun()));
                skip_to_comma(&mut tokens);
            }
        }
    }
    PortList { names }
}

/// Error recovery: drop tokens up to and including the next top-level `,`.
fn skip_to_comma(tokens: &mut std::iter::Peekable<impl Iterator<Item = TokenTree>>) {
    for token in tokens.by_ref() {
        if matches!(&token, TokenTree::Punct(p) if p.as_char() == ',') {
            break;
        }
    }
}

/// The span of the whole attribute, for errors about what is missing.
pub fn attr_span() -> Span {
    Span::call_site()
}
