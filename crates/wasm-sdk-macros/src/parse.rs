//! Parse: the attribute's tokens into port lists (`name`, `name: Type`,
//! `name: Type[size]`, each optionally marked `#[topic]`), by hand, so
//! every malformed piece gets its own spanned error and parsing continues.

use crate::check::Errors;
use proc_macro2::{Delimiter, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::quote;

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

/// One port in a list: `name`, `name: Type` or `name: Type[size]`, after
/// its attributes (`#[topic]`).
pub struct PortSpec {
    pub name: Ident,
    /// Marked `#[topic]`: bound to a topic, not to a firmware service.
    pub topic: bool,
    /// The message type; `None` for an untyped (raw bytes) port.
    pub ty: Option<syn::Type>,
    /// The buffer size given in brackets, for types without `MaxSize`.
    pub size: Option<syn::Expr>,
}

/// One `inputs(...)` or `outputs(...)` argument.
pub struct PortList {
    pub ports: Vec<PortSpec>,
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
                        `#[task_run(inputs(sample: Sample), outputs(result))]`";

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
                        "`{k}` needs a parenthesized list of ports: `{k}(name, name: Type, ...)`",
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
    let mut ports = Vec::new();
    let mut tokens = stream.into_iter().peekable();
    while let Some(token) = tokens.next() {
        // Attributes come before the name, as on a struct field.
        let Some((topic, token)) = parse_attrs(kind, token, &mut tokens, errors) else {
            break;
        };
        match token {
            TokenTree::Ident(name) => {
                let mut ty = None;
                let mut size = None;
                if let Some(TokenTree::Punct(colon)) = tokens.peek()
                    && colon.as_char() == ':'
                {
                    let colon = colon.clone();
                    tokens.next();
                    if matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == ':') {
                        // `name::...`: a path where a name belongs.
                        errors.push(
                            name.span(),
                            format!("{} names are plain identifiers, not paths", kind.noun()),
                        );
                        skip_to_comma(&mut tokens);
                        continue;
                    }
                    match parse_type(&colon, take_to_comma(&mut tokens)) {
                        Ok((t, s)) => (ty, size) = (Some(t), s),
                        Err(error) => {
                            errors.push(error.span(), error);
                            continue;
                        }
                    }
                    ports.push(PortSpec { name, topic, ty, size });
                    continue;
                }
                ports.push(PortSpec { name, topic, ty, size });
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
    PortList { ports }
}

const TOPIC_USAGE: &str = "a topic port is written `#[topic] name` or `#[topic] name: Type`";

/// A port's outer attributes, starting at `token`: whether `#[topic]` is
/// among them, and the token after them (the port's name). `None` when the
/// list ends after an attribute (reported).
fn parse_attrs(
    kind: Kind,
    mut token: TokenTree,
    tokens: &mut std::iter::Peekable<impl Iterator<Item = TokenTree>>,
    errors: &mut Errors,
) -> Option<(bool, TokenTree)> {
    let mut topic = false;
    // Every attribute as written, for an error about what follows them.
    let mut written = TokenStream::new();
    while let TokenTree::Punct(hash) = &token
        && hash.as_char() == '#'
    {
        let (attr, marks_topic) = parse_attr(hash, tokens, errors);
        written.extend(attr);
        if let Some(span) = marks_topic {
            if topic {
                errors.push(span, "`#[topic]` appears more than once on this port");
            }
            topic = true;
        }
        token = match tokens.next() {
            Some(next) => next,
            None => {
                errors.push_spanned(
                    written,
                    format!("expected an {} name after the attribute; {TOPIC_USAGE}", kind.noun()),
                );
                return None;
            }
        };
    }
    Some((topic, token))
}

/// One attribute, after its `#`: its tokens as written, and the span of
/// `topic` for `#[topic]`, the only one a port takes. Anything else is
/// reported and leaves the port plain, so the port, and the guest's uses
/// of its handle, still compile and only the attribute is in error.
fn parse_attr(
    hash: &Punct,
    tokens: &mut std::iter::Peekable<impl Iterator<Item = TokenTree>>,
    errors: &mut Errors,
) -> (TokenStream, Option<Span>) {
    let bang = match tokens.peek() {
        Some(TokenTree::Punct(p)) if p.as_char() == '!' => tokens.next(),
        _ => None,
    };
    let group = match tokens.peek() {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Bracket => {
            let group = group.clone();
            tokens.next();
            group
        }
        _ => {
            errors.push(hash.span(), format!("expected `[...]` after `#`; {TOPIC_USAGE}"));
            return (quote!(#hash #bang), None);
        }
    };
    let written = quote!(#hash #bang #group);
    if bang.is_some() {
        errors.push_spanned(
            &written,
            format!("a port takes outer attributes only, not `#!{group}`; {TOPIC_USAGE}"),
        );
        return (written, None);
    }
    let mut inner = group.stream().into_iter();
    match inner.next() {
        Some(TokenTree::Ident(ident)) if ident == "topic" => {
            let arguments: TokenStream = inner.collect();
            if !arguments.is_empty() {
                // The topic is the port's name: there is nothing to give.
                errors.push_spanned(
                    arguments,
                    format!("`#[topic]` takes no arguments; {TOPIC_USAGE}"),
                );
            }
            (written, Some(ident.span()))
        }
        _ => {
            errors.push_spanned(
                &written,
                format!(
                    "unknown port attribute `#{group}`: `#[topic]` is the only one accepted; \
                     {TOPIC_USAGE}"
                ),
            );
            (written, None)
        }
    }
}

/// The tokens of one port's type, up to the `,` that ends the port (which
/// is consumed). Commas inside `<...>` belong to the type.
fn take_to_comma(
    tokens: &mut std::iter::Peekable<impl Iterator<Item = TokenTree>>,
) -> Vec<TokenTree> {
    let mut taken = Vec::new();
    let mut depth = 0usize;
    let mut after_dash = false;
    for token in tokens.by_ref() {
        if let TokenTree::Punct(p) = &token {
            match p.as_char() {
                ',' if depth == 0 => break,
                '<' => depth += 1,
                // `->` in a fn type closes nothing.
                '>' if !after_dash => depth = depth.saturating_sub(1),
                _ => {}
            }
            after_dash = p.as_char() == '-' && p.spacing() == Spacing::Joint;
        } else {
            after_dash = false;
        }
        taken.push(token);
    }
    taken
}

/// `Type` or `Type[size]`.
fn parse_type(
    colon: &Punct,
    mut tokens: Vec<TokenTree>,
) -> syn::Result<(syn::Type, Option<syn::Expr>)> {
    if tokens.is_empty() {
        return Err(syn::Error::new(
            colon.span(),
            "expected a message type after `:`, e.g. `sample: Sample`",
        ));
    }
    let mut size = None;
    if tokens.len() > 1
        && let Some(TokenTree::Group(group)) = tokens.last()
        && group.delimiter() == Delimiter::Bracket
    {
        let group = group.clone();
        tokens.pop();
        if group.stream().is_empty() {
            return Err(syn::Error::new(
                group.span(),
                "expected a buffer size in bytes inside `[...]`, e.g. `[64]`",
            ));
        }
        let expr = syn::parse2::<syn::Expr>(group.stream()).map_err(|e| {
            syn::Error::new(
                group.span(),
                format!("expected a buffer size in bytes inside `[...]`, e.g. `[64]`: {e}"),
            )
        })?;
        size = Some(expr);
    }
    let ty = syn::parse2::<syn::Type>(tokens.into_iter().collect())?;
    Ok((ty, size))
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
