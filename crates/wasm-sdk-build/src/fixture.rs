//! Hand-written guest modules for tests and benches: WAT without a
//! manifest, and the `wasm-sdk.manifest` section the ABI's own encoder
//! writes from port names (and, optionally, message types).
//!
//! One builder for every test that needs a module no guest crate makes:
//! the manifest's bytes come from [`wasm_sdk_abi::manifest::encode_to_vec`],
//! so a change of the layout reaches every fixture, and no test spells the
//! section out by hand.
//!
//! ```
//! use wasm_sdk_build::fixture::{ECHO, Fixture};
//!
//! let wasm = Fixture::new(ECHO).inputs(["in"]).outputs(["out"]).build();
//! assert_eq!(&wasm[..4], b"\0asm");
//! ```

use wasm_sdk_abi::manifest::{
    MANIFEST_SECTION, PortDecl, TypeDecl, append_custom_section, encode_to_vec,
};

/// The echo guest: each message on input 0 comes back on output 0, through
/// a 256-byte buffer at address 0; `run_task` returns 0 once input 0 is
/// closed (any negative status). Imports `receive_input` as `$recv` and
/// `send_output` as `$send`; `run_task`'s first local is `$n`.
pub const ECHO: &str = r#"(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "run_task") (result i32) (local $n i32)
    (loop $next
      (local.set $n (call $recv (i32.const 0) (i32.const 256) (i32.const 0)))
      (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
      (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))
      (br $next))
    (unreachable)))"#;

/// The merge guest: waits on inputs 0 and 1 (`wait_input`, the list at
/// address 512), receives from the one answered into a 255-byte buffer at
/// address 1, and sends that message on output 0 behind one byte, the
/// input's index (at address 0). `run_task` returns the status of a
/// refused wait, or 0 once a receive is refused (an input closed).
pub const MERGE: &str = r#"(module
  (import "connectors" "wait_input" (func $wait (param i32 i32) (result i32)))
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 512) "\00\01")
  (func (export "run_task") (result i32) (local $input i32) (local $n i32)
    (loop $next
      (local.set $input (call $wait (i32.const 512) (i32.const 2)))
      (if (i32.lt_s (local.get $input) (i32.const 0)) (then (return (local.get $input))))
      (i32.store8 (i32.const 0) (local.get $input))
      (local.set $n (call $recv (i32.const 1) (i32.const 255) (local.get $input)))
      (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
      (drop (call $send (i32.const 0) (i32.add (local.get $n) (i32.const 1)) (i32.const 0)))
      (br $next))
    (unreachable)))"#;

/// A module's WAT and the ports its manifest declares.
#[derive(Clone, Debug)]
pub struct Fixture {
    wat: String,
    inputs: Vec<(String, Option<TypeDecl>)>,
    outputs: Vec<(String, Option<TypeDecl>)>,
}

impl Fixture {
    /// A module from `wat`, a whole `(module ...)` without a
    /// `wasm-sdk.manifest` section; no ports until [`inputs`](Self::inputs)
    /// and [`outputs`](Self::outputs) add them.
    pub fn new(wat: impl Into<String>) -> Self {
        Fixture { wat: wat.into(), inputs: Vec::new(), outputs: Vec::new() }
    }

    /// Adds untyped inputs (raw bytes), in index order.
    pub fn inputs<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.inputs.extend(names.into_iter().map(|name| (name.into(), None)));
        self
    }

    /// Adds untyped outputs (raw bytes), in index order.
    pub fn outputs<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.outputs.extend(names.into_iter().map(|name| (name.into(), None)));
        self
    }

    /// Adds an input of message type `ty`, after those added before.
    pub fn typed_input(mut self, name: impl Into<String>, ty: TypeDecl) -> Self {
        self.inputs.push((name.into(), Some(ty)));
        self
    }

    /// Adds an output of message type `ty`, after those added before.
    pub fn typed_output(mut self, name: impl Into<String>, ty: TypeDecl) -> Self {
        self.outputs.push((name.into(), Some(ty)));
        self
    }

    /// The manifest section's payload for these ports, current ABI
    /// version; ports of one type (same key) share its entry.
    ///
    /// # Panics
    ///
    /// If a name or list exceeds the manifest's limits.
    pub fn manifest(&self) -> Vec<u8> {
        let mut types = Vec::new();
        let inputs = decls(&self.inputs, &mut types);
        let outputs = decls(&self.outputs, &mut types);
        encode_to_vec(&inputs, &outputs, &types)
    }

    /// The module: the WAT compiled, the manifest appended as its last
    /// section (where rustc puts a guest's).
    ///
    /// # Panics
    ///
    /// If the WAT does not parse (with the text), or as
    /// [`manifest`](Self::manifest).
    pub fn build(&self) -> Vec<u8> {
        let mut wasm =
            wat::parse_str(&self.wat).unwrap_or_else(|e| panic!("bad WAT: {e}\n{}", self.wat));
        append_custom_section(&mut wasm, MANIFEST_SECTION, &self.manifest());
        wasm
    }
}

/// The ports as the encoder takes them, each type added to `types` once.
fn decls<'a>(
    ports: &'a [(String, Option<TypeDecl>)],
    types: &mut Vec<TypeDecl>,
) -> Vec<PortDecl<'a>> {
    ports
        .iter()
        .map(|(name, ty)| {
            let ty = ty.map_or(0, |ty| {
                let at = types.iter().position(|t| t.key == ty.key).unwrap_or_else(|| {
                    types.push(ty);
                    types.len() - 1
                });
                u8::try_from(at + 1).expect("at most 255 port types")
            });
            PortDecl { name, ty }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_sdk_abi::manifest::Manifest;

    #[test]
    fn the_manifest_lists_the_ports_in_order() {
        let fixture = Fixture::new(ECHO).inputs(["a", "b"]).outputs(["out"]);
        let bytes = fixture.manifest();
        let manifest = Manifest::parse(&bytes).unwrap();
        assert_eq!(manifest.inputs().iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(manifest.outputs().iter().collect::<Vec<_>>(), ["out"]);
        assert_eq!(manifest.types().count(), 0);
        let wasm = fixture.build();
        assert!(wasm.ends_with(&bytes));
    }
}
