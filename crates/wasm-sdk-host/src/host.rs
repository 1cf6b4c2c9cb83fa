//! Checking and loading modules.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_sdk_abi::manifest::{MAX_MANIFEST_LEN, Manifest, ManifestError, PortKind};
use wasm_sdk_abi::schema::{ChannelType, TypeKey, check_channels};
use wasm_sdk_abi::{self as abi, ABI_VERSION};
use wasmi::{CompilationMode, Config, Engine, Extern, Instance, Module, Store, StoreLimitsBuilder};
use wasmparser::{ExternalKind, ValType};

use wasm_sdk_abi::rules::{Environment, Rules, TextUsage, WaitCursor};

use crate::binding::{self, HostState};
use crate::config::HostConfig;
use crate::error::{LoadError, describe};
use crate::guest::Guest;
use crate::inspect::ModuleInfo;
use crate::shape::Shape;
use crate::stack::StackPointer;
#[cfg(feature = "validate")]
use crate::trust;
use crate::trust::Trusted;

/// Loads guests for one kind of [`Environment`]; all its guests share the
/// engine and the [`HostConfig`] (each gets its own store and imports).
pub struct Host<E> {
    engine: Engine,
    config: HostConfig,
    env: core::marker::PhantomData<fn(E)>,
}

impl<E: Environment + 'static> Host<E> {
    /// A host with these limits.
    pub fn new(config: HostConfig) -> Self {
        let mut engine_config = Config::default();
        // Without validation wasmi has no Wasm feature switches: what a
        // module may use was decided by the validating host that stamped it
        // (`engine_stamp` names the choice).
        #[cfg(feature = "validate")]
        engine_config.wasm_custom_page_sizes(config.custom_page_sizes);
        engine_config
            .consume_fuel(config.meters_fuel())
            // The manifest is read from the bytes by `check`; wasmi would
            // otherwise copy every custom section into the module and keep
            // it for the guest's lifetime.
            .ignore_custom_sections(true)
            // wasmi keeps the stacks of finished calls for the next call
            // (two per engine by default). A guest's call lasts its whole
            // life (it suspends instead of returning), so a cached stack
            // would only keep a finished guest's heap (up to
            // `max_value_stack`) after it is gone.
            .set_max_cached_stacks(0)
            .set_max_recursion_depth(config.max_call_depth.max(1))
            // No value stack up front (wasmi's default allocates one on each
            // call): it grows to what the guest uses, up to the maximum. The
            // counter's suspended call then holds a fraction of the stacks it
            // would with wasmi's defaults (QEMU check 7; the book's figures
            // page, "Heap and RAM per guest").
            .set_min_stack_height(0)
            .set_max_stack_height(config.max_value_stack.max(256));
        // Every function is compiled at load, never lazily on its first
        // call: what compiling takes is then checked against the module
        // budget (`HostConfig::module_heap`) before the guest runs, so no
        // allocation of a size the guest chose happens mid-run; and with
        // fuel, running out while compiling a callee would be a plain
        // error and the call lost (wasmi PR 2032).
        engine_config.compilation_mode(CompilationMode::Eager);
        Host { engine: Engine::new(&engine_config), config, env: core::marker::PhantomData }
    }

    /// The limits guests run under.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Checks a module against the ABI and the limits, then instantiates it
    /// with its own `env`. The guest has not run yet: call
    /// [`Guest::step`].
    ///
    /// # Errors
    ///
    /// A [`LoadError`] saying what is wrong; nothing is instantiated then.
    #[cfg(feature = "validate")]
    pub fn load(&self, wasm: &[u8], env: E) -> Result<Guest<E>, LoadError> {
        self.load_typed(wasm, env, &[])
    }

    /// [`load`](Self::load), checking first that each typed port the
    /// `channels` name carries the message type its channel does
    /// ([`check_channels`], the rule every host applies). A port left out
    /// of `channels`, or untyped on either side, is not checked.
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load); [`LoadError::PortType`] for the first
    /// channel whose type differs, before anything is instantiated.
    #[cfg(feature = "validate")]
    pub fn load_typed(
        &self,
        wasm: &[u8],
        env: E,
        channels: &[ChannelType<'_>],
    ) -> Result<Guest<E>, LoadError> {
        let (_, ports) = self.checked(wasm, channels)?;
        let module =
            Module::new(&self.engine, wasm).map_err(|e| LoadError::Invalid(describe(&e).into()))?;
        self.instantiate(&module, env, ports)
    }

    /// Checks `wasm` exactly as [`load`](Self::load) does, wasmi's
    /// validation included, and returns it with a `wasm-sdk.validated`
    /// section holding this configuration's
    /// [`engine_stamp`](HostConfig::engine_stamp), for a device that loads
    /// it with [`load_trusted`](Self::load_trusted). A module stamped for
    /// this configuration already is returned unchanged.
    ///
    /// # Errors
    ///
    /// What [`load`](Self::load) would refuse the module for;
    /// [`LoadError::NotValidated`] if it carries another configuration's
    /// stamp.
    #[cfg(feature = "validate")]
    pub fn stamp(&self, wasm: &[u8]) -> Result<Vec<u8>, LoadError> {
        let (info, _) = self.checked(wasm, &[])?;
        Module::validate(&self.engine, wasm)
            .map_err(|e| LoadError::Invalid(describe(&e).into()))?;
        let stamp = self.config.engine_stamp();
        match info.stamp {
            Some(found) if found == stamp => Ok(wasm.to_vec()),
            Some(found) => Err(LoadError::NotValidated { found: Some(found) }),
            None => Ok(trust::append_custom_section(wasm, trust::STAMP_SECTION, &stamp)),
        }
    }

    /// [`load_typed`](Self::load_typed) for a module validated off the
    /// device: every check of this crate runs, wasmi's validation does not
    /// (see [`trust`](crate::trust) for the trust model). The module must
    /// carry the stamp of [`stamp`](Self::stamp) for this configuration.
    ///
    /// # Errors
    ///
    /// As [`load_typed`](Self::load_typed), with
    /// [`LoadError::NotValidated`] for a missing or foreign stamp.
    pub fn load_trusted(
        &self,
        wasm: Trusted<'_>,
        env: E,
        channels: &[ChannelType<'_>],
    ) -> Result<Guest<E>, LoadError> {
        let (info, ports) = self.checked(wasm.bytes(), channels)?;
        if info.stamp.as_deref() != Some(&self.config.engine_stamp()[..]) {
            return Err(LoadError::NotValidated { found: info.stamp });
        }
        // SAFETY: `Trusted::new`'s contract: the module passed `stamp`'s
        // validation with an engine configuration whose stamp it carries,
        // which is this engine's.
        let module = unsafe { Module::new_unchecked(&self.engine, wasm.bytes()) }
            .map_err(|e| LoadError::Invalid(describe(&e).into()))?;
        self.instantiate(&module, env, ports)
    }

    /// The size bound, the structure and this crate's checks.
    fn checked(
        &self,
        wasm: &[u8],
        channels: &[ChannelType<'_>],
    ) -> Result<(ModuleInfo, Ports), LoadError> {
        if wasm.len() > self.config.max_module_size {
            return Err(LoadError::ModuleTooLarge {
                size: wasm.len(),
                max: self.config.max_module_size,
            });
        }
        // Counted before anything allocates for the module's contents:
        // `ModuleInfo` copies its types and exports, wasmi all of it.
        crate::inspect::check_header(wasm).map_err(LoadError::Malformed)?;
        let shape = Shape::scan(wasm).map_err(|e| LoadError::Malformed(alloc::format!("{e}")))?;
        let estimate = shape.heap(&self.config.module_costs);
        let budget = u64::try_from(self.config.module_heap).unwrap_or(u64::MAX);
        if estimate.total() > budget {
            let (part, part_bytes) = estimate.largest();
            return Err(LoadError::ModuleHeap {
                estimated: estimate.total(),
                budget,
                part,
                part_bytes,
            });
        }
        let info = ModuleInfo::parse(wasm).map_err(LoadError::Malformed)?;
        let ports = check(&info, &self.config, channels)?;
        Ok((info, ports))
    }

    /// Instantiates a checked module in a store of its own.
    fn instantiate(&self, module: &Module, env: E, ports: Ports) -> Result<Guest<E>, LoadError> {
        let budget = usize::try_from(self.config.memory_budget).unwrap_or(usize::MAX);
        let state = HostState {
            env,
            rules: Rules {
                inputs: ports.inputs.len(),
                outputs: ports.outputs.len(),
                max_message_len: self.config.max_message_len,
                text: self.config.text,
            },
            text: TextUsage::default(),
            wait: WaitCursor::default(),
            bytes_per_fuel: if self.config.meters_fuel() { self.config.bytes_per_fuel } else { 0 },
            debt: 0,
            step_fuel: u64::MAX,
            pending: None,
            limits: StoreLimitsBuilder::new()
                .memory_size(budget)
                .table_elements(self.config.max_table_elements)
                .instances(1)
                .build(),
            memory: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        // `check` admitted only `connectors` functions the ABI offers.
        let imports = module
            .imports()
            .map(|import| binding::import(&mut store, import.name()).map(Extern::Func))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| LoadError::Instantiate("unknown import".into()))?;
        let instance = Instance::new(&mut store, module, &imports)
            .map_err(|e| LoadError::Instantiate(describe(&e).into()))?;
        let memory = instance
            .get_memory(&store, abi::MEMORY_EXPORT)
            .ok_or(LoadError::MissingExport(abi::MEMORY_EXPORT))?;
        store.data_mut().memory = Some(memory);
        let run_task = instance
            .get_typed_func::<(), i32>(&store, abi::RUN_TASK_EXPORT)
            .map_err(|_| LoadError::RunTaskSignature)?;
        let stack = StackPointer::of(&instance, &store);
        Ok(Guest::new(store, run_task, &self.config, ports, stack))
    }
}

/// A module's ports from its manifest, index order: names, and each
/// port's message type (its key and name; `None` untyped).
pub(crate) struct Ports {
    pub(crate) inputs: Vec<String>,
    pub(crate) outputs: Vec<String>,
    pub(crate) input_types: Vec<Option<(TypeKey, String)>>,
    pub(crate) output_types: Vec<Option<(TypeKey, String)>>,
}

/// The load-time checks; returns the manifest's input and output names.
pub(crate) fn check(
    info: &ModuleInfo,
    config: &HostConfig,
    channels: &[ChannelType<'_>],
) -> Result<Ports, LoadError> {
    // A module built for another ABI version is best told so, before its
    // imports are judged by this version's rules.
    if let Some(Err(ManifestError::Version(found))) = info.manifest.as_deref().map(Manifest::parse)
    {
        return Err(LoadError::AbiVersion { found, supported: ABI_VERSION });
    }
    if let Some((module, name)) = info.other_imports.first() {
        return Err(LoadError::UnknownImport { module: module.clone(), name: name.clone() });
    }
    for import in &info.imports {
        let sig = (import.module == abi::IMPORT_MODULE)
            .then(|| abi::import_signature(&import.name))
            .flatten()
            .ok_or_else(|| LoadError::UnknownImport {
                module: import.module.clone(),
                name: import.name.clone(),
            })?;
        let params_ok =
            import.params.len() == sig.params && import.params.iter().all(|t| *t == ValType::I32);
        if !params_ok || import.results != [ValType::I32] {
            return Err(LoadError::ImportSignature {
                name: import.name.clone(),
                expected_params: sig.params,
            });
        }
    }
    let run_task = info
        .func_export(abi::RUN_TASK_EXPORT)
        .ok_or(LoadError::MissingExport(abi::RUN_TASK_EXPORT))?;
    if !run_task.params.is_empty() || run_task.results != [ValType::I32] {
        return Err(LoadError::RunTaskSignature);
    }
    if !info.has_export(abi::MEMORY_EXPORT, ExternalKind::Memory) {
        return Err(LoadError::MissingExport(abi::MEMORY_EXPORT));
    }
    if info.has_start {
        return Err(LoadError::StartFunction);
    }
    if info.functions > config.max_functions {
        return Err(LoadError::TooManyFunctions {
            found: info.functions,
            max: config.max_functions,
        });
    }
    if let Some((function, found)) = info.most_locals.filter(|&(_, n)| n > config.max_locals) {
        return Err(LoadError::TooManyLocals { function, found, max: config.max_locals });
    }
    if info.custom_section_count > config.max_custom_sections {
        return Err(LoadError::CustomSections {
            found: info.custom_section_count,
            max: config.max_custom_sections,
        });
    }
    let [memory] = info.memories[..] else { return Err(LoadError::UnsupportedMemory) };
    if memory.memory64 || memory.shared {
        return Err(LoadError::UnsupportedMemory);
    }
    if memory.initial_bytes() > config.memory_budget {
        return Err(LoadError::MemoryTooLarge {
            needed: memory.initial_bytes(),
            budget: config.memory_budget,
        });
    }
    if info.manifest_len.is_some_and(|len| len > MAX_MANIFEST_LEN) {
        return Err(LoadError::Manifest(ManifestError::TooLong));
    }
    let section = info.manifest.as_deref().ok_or(LoadError::MissingManifest)?;
    let manifest = Manifest::parse(section).map_err(LoadError::Manifest)?;
    check_channels(channels, |kind, port| manifest.type_of(kind, port))
        .map_err(LoadError::port_type)?;
    let names = |list: wasm_sdk_abi::manifest::Names<'_>| list.iter().map(String::from).collect();
    let types = |kind: PortKind| {
        (0..manifest.ports(kind).len())
            .map(|index| {
                manifest.port_type(kind, index).map(|ty| (ty.key, String::from(ty.name())))
            })
            .collect()
    };
    Ok(Ports {
        inputs: names(manifest.inputs()),
        outputs: names(manifest.outputs()),
        input_types: types(PortKind::Input),
        output_types: types(PortKind::Output),
    })
}
