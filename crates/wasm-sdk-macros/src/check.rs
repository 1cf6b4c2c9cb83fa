//! Check: validate the names and the function, and build the model that
//! codegen reads. Errors go into [`Errors`]; checking always runs to the end.

use crate::parse::{self, Args, Kind, PortList};
use proc_macro2::{Ident, Span, TokenStream};
use syn::spanned::Spanned;
use wasm_sdk_abi::manifest::{MAX_NAME_LEN, MAX_PORTS, MAX_TYPES, TOPIC_PREFIX};

/// Every error found so far, reported together.
#[derive(Default)]
pub struct Errors(Vec<syn::Error>);

impl Errors {
    pub fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        self.0.push(syn::Error::new(span, message));
    }

    /// An error spanned to all of `tokens` (`#[foo]`, not just its `#`).
    pub fn push_spanned(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.0.push(syn::Error::new_spanned(tokens, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_compile_errors(&self) -> TokenStream {
        self.0.iter().map(syn::Error::to_compile_error).collect()
    }
}

/// One input or output as codegen needs it.
pub struct CheckedPort {
    /// The name in the manifest (raw identifiers lose their `r#`; a
    /// `#[topic]` port's starts with `TOPIC_PREFIX`, `topic/smoothed`).
    pub name: String,
    /// The handle's name (`Input::WasmInput`), spanned to the name in the
    /// attribute.
    pub variant: Ident,
    /// The message type; `None`: untyped.
    pub ty: Option<syn::Type>,
    /// The buffer size the attribute gives, if any.
    pub size: Option<syn::Expr>,
    /// 0 (untyped), or 1 + the position of its type in `CheckedTask::types`.
    pub type_index: u8,
}

/// What codegen builds from.
pub struct CheckedTask {
    /// The distinct message types, in first-use order (inputs first); ports
    /// that spell a type the same way share its manifest entry.
    pub types: Vec<syn::Type>,
    pub inputs: Vec<CheckedPort>,
    pub outputs: Vec<CheckedPort>,
    /// The function, if the item is one.
    pub func: Option<syn::ItemFn>,
}

const SIGNATURE: &str = "`fn run() -> wasm_sdk::Result<()>`";

pub fn check(args: Args, item: TokenStream, errors: &mut Errors) -> CheckedTask {
    let inputs = check_list(Kind::Input, args.inputs, args.given.contains(&Kind::Input), errors);
    let mut outputs =
        check_list(Kind::Output, args.outputs, args.given.contains(&Kind::Output), errors);
    let mut inputs = inputs;
    let types = number_types(inputs.iter_mut().chain(outputs.iter_mut()), errors);
    let func = match syn::parse2::<syn::Item>(item) {
        Ok(syn::Item::Fn(func)) => {
            check_fn(&func, errors);
            Some(func)
        }
        Ok(other) => {
            errors.push(
                item_span(&other),
                format!("`#[task_run]` can only be applied to a function: {SIGNATURE}"),
            );
            None
        }
        Err(err) => {
            errors.0.push(err);
            None
        }
    };
    CheckedTask { types, inputs, outputs, func }
}

/// Gives each typed port its type's number in the manifest's type list.
fn number_types<'a>(
    ports: impl Iterator<Item = &'a mut CheckedPort>,
    errors: &mut Errors,
) -> Vec<syn::Type> {
    let mut types: Vec<(String, syn::Type)> = Vec::new();
    for port in ports {
        let Some(ty) = &port.ty else { continue };
        let key = quote::ToTokens::to_token_stream(ty).to_string();
        let position = match types.iter().position(|(k, _)| *k == key) {
            Some(position) => position,
            None if types.len() == MAX_TYPES => {
                errors
                    .push(ty.span(), format!("a module can use at most {MAX_TYPES} message types"));
                continue;
            }
            None => {
                types.push((key, ty.clone()));
                types.len() - 1
            }
        };
        // `position < MAX_TYPES` (255), so `position + 1` fits.
        port.type_index = (position + 1) as u8;
    }
    types.into_iter().map(|(_, ty)| ty).collect()
}

fn item_span(item: &syn::Item) -> Span {
    // Point at the keyword and name rather than the whole body.
    match item {
        syn::Item::Struct(s) => s.ident.span(),
        syn::Item::Enum(e) => e.ident.span(),
        syn::Item::Static(s) => s.ident.span(),
        syn::Item::Const(c) => c.ident.span(),
        syn::Item::Mod(m) => m.ident.span(),
        syn::Item::Trait(t) => t.ident.span(),
        syn::Item::Type(t) => t.ident.span(),
        syn::Item::Union(u) => u.ident.span(),
        other => other.span(),
    }
}

fn check_list(
    kind: Kind,
    list: Option<PortList>,
    given: bool,
    errors: &mut Errors,
) -> Vec<CheckedPort> {
    let Some(list) = list else {
        if given {
            // Already reported as malformed where it stands.
            return Vec::new();
        }
        errors.push(
            parse::attr_span(),
            format!(
                "missing `{k}(...)`: list the module's {n}s, e.g. `{k}(data)`, or write `{k}()` for none",
                k = kind.key(),
                n = kind.noun(),
            ),
        );
        return Vec::new();
    };
    if list.ports.len() > MAX_PORTS {
        errors.push(
            list.ports[MAX_PORTS].name.span(),
            format!("a module can have at most {MAX_PORTS} {}s", kind.noun()),
        );
    }
    let mut ports: Vec<CheckedPort> = Vec::new();
    for spec in list.ports.into_iter().take(MAX_PORTS) {
        let ident = &spec.name;
        let plain = unraw(ident);
        // The handle is named after the identifier either way, so guest
        // code reads the same whether a port is a topic or not; only the
        // ABI name carries the prefix the firmware binds topics by.
        let variant_name = upper_camel(&plain);
        let name = if spec.topic { format!("{TOPIC_PREFIX}{plain}") } else { plain.clone() };
        if name.len() > MAX_NAME_LEN {
            // The limit is the manifest's, so it counts the prefix too.
            let prefix = if spec.topic {
                format!(", counting its `{TOPIC_PREFIX}` prefix")
            } else {
                String::new()
            };
            errors.push(
                ident.span(),
                format!("{} name is longer than {MAX_NAME_LEN} bytes{prefix}", kind.noun()),
            );
            continue;
        }
        let usable = variant_name.chars().next().is_some_and(char::is_alphabetic);
        if !usable || variant_name == "Self" {
            errors.push(
                ident.span(),
                format!(
                    "`{plain}` cannot be an {} name: it has no usable variant name",
                    kind.noun()
                ),
            );
            continue;
        }
        if let Some(earlier) = ports.iter().find(|p| p.name == name) {
            errors.push(ident.span(), format!("duplicate {} name `{}`", kind.noun(), earlier.name));
            continue;
        }
        // `smoothed` and `#[topic] smoothed` have different ABI names but
        // one handle name: caught here.
        if let Some(earlier) = ports.iter().find(|p| p.variant == variant_name) {
            errors.push(
                ident.span(),
                format!(
                    "{n} names `{}` and `{name}` both become the variant `{}::{variant_name}`; rename one",
                    earlier.name,
                    enum_name(kind),
                    n = kind.noun(),
                ),
            );
            continue;
        }
        if spec.ty.is_none()
            && let Some(size) = &spec.size
        {
            errors.push(size.span(), "a buffer size needs a message type: `name: Type[size]`");
        }
        let variant = Ident::new(&variant_name, ident.span());
        ports.push(CheckedPort { variant, name, ty: spec.ty, size: spec.size, type_index: 0 });
    }
    ports
}

pub fn enum_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Input => "Input",
        Kind::Output => "Output",
    }
}

fn unraw(ident: &Ident) -> String {
    let text = ident.to_string();
    text.strip_prefix("r#").map(str::to_owned).unwrap_or(text)
}

/// `wasm_input` -> `WasmInput`; already-camel segments keep their case.
pub fn upper_camel(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_uppercase().chain(chars).collect::<String>())
        })
        .collect::<Option<String>>()
        .unwrap_or_default()
}

fn check_fn(func: &syn::ItemFn, errors: &mut Errors) {
    let sig = &func.sig;
    let mut bad = |span: Span, what: &str| {
        errors.push(span, format!("`#[task_run]` function {what}; it must be {SIGNATURE}"))
    };
    if let Some(token) = &sig.constness {
        bad(token.span, "cannot be `const`");
    }
    if let Some(token) = &sig.asyncness {
        bad(token.span, "cannot be `async`: guests block in `receive` instead");
    }
    if let Some(token) = &sig.unsafety {
        bad(token.span, "cannot be `unsafe`");
    }
    if let Some(abi) = &sig.abi {
        bad(
            abi.span(),
            "cannot be `extern`: `#[task_run]` generates the exported `extern \"C\" fn run_task`",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        bad(sig.generics.span(), "cannot be generic");
    }
    if !sig.inputs.is_empty() || sig.variadic.is_some() {
        bad(sig.inputs.span(), "takes no parameters");
    }
    if sig.ident == wasm_sdk_abi::RUN_TASK_EXPORT {
        bad(
            sig.ident.span(),
            "cannot be named `run_task`: that is the export `#[task_run]` generates",
        );
    }
    match &sig.output {
        syn::ReturnType::Default => bad(sig.ident.span(), "must return a result"),
        syn::ReturnType::Type(_, ty) if !is_result_path(ty) => {
            bad(ty.span(), "must return `wasm_sdk::Result<()>`")
        }
        // The exact type is checked by the compiler at a call spanned to it.
        syn::ReturnType::Type(..) => {}
    }
}

fn is_result_path(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(path) => {
            path.qself.is_none()
                && path.path.segments.last().is_some_and(|seg| seg.ident == "Result")
        }
        syn::Type::Group(group) => is_result_path(&group.elem),
        syn::Type::Paren(paren) => is_result_path(&paren.elem),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{CheckedPort, CheckedTask, Errors, check, upper_camel};
    use crate::parse::parse_args;
    use quote::quote;
    use wasm_sdk_abi::manifest::{MAX_NAME_LEN, TOPIC_PREFIX, topic_of};

    /// Parses and checks `#[task_run(<attr>)]` on a well-formed function:
    /// the model and every error's message. The attribute is a string, as
    /// `quote!` would read `# f` as interpolating `f`.
    fn checked(attr: &str) -> (CheckedTask, Vec<String>) {
        let mut errors = Errors::default();
        let args = parse_args(attr.parse().unwrap(), &mut errors);
        let task = check(
            args,
            quote!(
                fn run() -> Result<()> {
                    Ok(())
                }
            ),
            &mut errors,
        );
        (task, errors.0.iter().map(ToString::to_string).collect())
    }

    /// Each port's ABI name and handle name.
    fn names(ports: &[CheckedPort]) -> Vec<(&str, String)> {
        ports.iter().map(|p| (p.name.as_str(), p.variant.to_string())).collect()
    }

    #[test]
    fn a_topic_port_is_prefixed_in_its_abi_name_only() {
        let (task, errors) = checked(
            "inputs(temperature: Reading, #[topic] smoothed: Reading, #[topic] r#raw), \
             outputs(#[topic] filtered: Reading[8])",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            names(&task.inputs),
            [
                ("temperature", "Temperature".to_owned()),
                ("topic/smoothed", "Smoothed".to_owned()),
                ("topic/raw", "Raw".to_owned()),
            ]
        );
        assert_eq!(names(&task.outputs), [("topic/filtered", "Filtered".to_owned())]);
        // The ABI reads the topic back with its own rule.
        assert_eq!(topic_of(&task.inputs[1].name), Some("smoothed"));
        assert_eq!(topic_of(&task.inputs[0].name), None);
        // `#[topic]` changes nothing but the name: types and sizes stay.
        assert!(task.inputs[2].ty.is_none());
        assert!(task.outputs[0].size.is_some());
        assert_eq!(task.types.len(), 1, "one `Reading` entry");
    }

    #[test]
    fn a_plain_and_a_topic_port_of_one_identifier_collide_on_the_handle() {
        let (_, errors) = checked("inputs(smoothed, #[topic] smoothed), outputs()");
        assert_eq!(
            errors,
            ["input names `smoothed` and `topic/smoothed` both become the variant \
              `Input::Smoothed`; rename one"]
        );
        let (_, errors) = checked("inputs(), outputs(#[topic] a, #[topic] a)");
        assert_eq!(errors, ["duplicate output name `topic/a`"]);
    }

    #[test]
    fn the_name_limit_counts_the_prefix() {
        let fits = "n".repeat(MAX_NAME_LEN - TOPIC_PREFIX.len());
        let over = "n".repeat(MAX_NAME_LEN - TOPIC_PREFIX.len() + 1);
        let (task, errors) = checked(&format!("inputs(#[topic] {fits}, {over}), outputs()"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(task.inputs[0].name.len(), MAX_NAME_LEN);
        let (_, errors) = checked(&format!("inputs(#[topic] {over}), outputs()"));
        assert_eq!(errors, ["input name is longer than 255 bytes, counting its `topic/` prefix"]);
    }

    #[test]
    fn other_attributes_are_refused_and_the_port_kept() {
        let usage = "a topic port is written `#[topic] name` or `#[topic] name: Type`";
        let (task, errors) = checked(
            r#"inputs(#[foo] a, #[topic(b)] b, #[topic = "c"] c, #[topic] #[topic] d, #![topic] e),
               outputs(# f, #[topic])"#,
        );
        assert_eq!(
            errors,
            [
                format!(
                    "unknown port attribute `#[foo]`: `#[topic]` is the only one accepted; {usage}"
                ),
                format!("`#[topic]` takes no arguments; {usage}"),
                format!("`#[topic]` takes no arguments; {usage}"),
                "`#[topic]` appears more than once on this port".to_owned(),
                format!("a port takes outer attributes only, not `#![topic]`; {usage}"),
                format!("expected `[...]` after `#`; {usage}"),
                format!("expected an output name after the attribute; {usage}"),
            ]
        );
        // Every port survives, so the guest's uses of its handle resolve;
        // a refused attribute leaves it plain.
        let inputs: Vec<&str> = task.inputs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(inputs, ["a", "topic/b", "topic/c", "topic/d", "e"]);
        assert_eq!(names(&task.outputs), [("f", "F".to_owned())]);
    }

    #[test]
    fn camel_case() {
        assert_eq!(upper_camel("wasm_input"), "WasmInput");
        assert_eq!(upper_camel("x"), "X");
        assert_eq!(upper_camel("_lead__double_"), "LeadDouble");
        assert_eq!(upper_camel("alreadyCamel"), "AlreadyCamel");
        assert_eq!(upper_camel("temp_2"), "Temp2");
        assert_eq!(upper_camel("_"), "");
    }
}
