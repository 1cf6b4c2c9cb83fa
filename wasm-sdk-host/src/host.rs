//! Checking and loading modules.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_sdk_abi::manifest::{MAX_MANIFEST_LEN, Manifest, ManifestError};
use wasm_sdk_abi::schema::{ChannelType, check_channels};
use wasm_sdk_abi::{self as abi, ABI_VERSION};
use wasmi::{CompilationMode, Config, Engine, Linker, Module, Store, StoreLimitsBuilder};
use wasmparser::{ExternalKind, ValType};

use wasm_sdk_abi::rules::{Environment, Rules, TextUsage};

use crate::binding::{self, HostState};
use crate::config::HostConfig;
use crate::error::{LoadError, describe};
use crate::guest::Guest;
use crate::inspect::ModuleInfo;

/// Loads guests for one kind of [`Environment`]; all its guests share the
/// engine, the bound imports and the [`HostConfig`].
pub struct Host<E> {
    engine: Engine,
    linker: Linker<HostState<E>>,
    config: HostConfig,
}

impl<E: Environment + 'static> Host<E> {
    /// A host with these limits.
    pub fn new(config: HostConfig) -> Self {
        let mut engine_config = Config::default();
        engine_config
            .wasm_custom_page_sizes(config.custom_page_sizes)
            .consume_fuel(config.meters_fuel())
            // The manifest is read from the bytes by `check`; wasmi would
            // otherwise copy every custom section into the module and keep
            // it for the guest's lifetime.
            .ignore_custom_sections(true)
            // A stack wasmi allocates for a call and keeps for the next one;
            // wasmi's default keeps two per engine.
            .set_max_cached_stacks(1)
            .set_max_recursion_depth(config.max_call_depth.max(1));
        // The minimum first, so it never exceeds a small maximum (wasmi
        // panics on min > max in either order of setting).
        let max_stack = config.max_value_stack.max(256);
        engine_config.set_min_stack_height(max_stack.min(1_000)).set_max_stack_height(max_stack);
        if config.meters_fuel() {
            // With lazy compilation, running out of fuel while compiling a
            // callee is a plain error and the call is lost (wasmi PR 2032).
            engine_config.compilation_mode(CompilationMode::Eager);
        }
        let engine = Engine::new(&engine_config);
        let mut linker = Linker::new(&engine);
        // Defining five distinct names in a fresh linker cannot collide.
        if let Err(err) = binding::define(&mut linker) {
            unreachable!("binding the connectors ABI failed: {err}");
        }
        Host { engine, linker, config }
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
    pub fn load_typed(
        &self,
        wasm: &[u8],
        env: E,
        channels: &[ChannelType<'_>],
    ) -> Result<Guest<E>, LoadError> {
        if wasm.len() > self.config.max_module_size {
            return Err(LoadError::ModuleTooLarge {
                size: wasm.len(),
                max: self.config.max_module_size,
            });
        }
        let info = ModuleInfo::parse(wasm).map_err(LoadError::Malformed)?;
        let (input_names, output_names) = check(&info, &self.config, channels)?;
        let module =
            Module::new(&self.engine, wasm).map_err(|e| LoadError::Invalid(describe(&e).into()))?;
        let budget = usize::try_from(self.config.memory_budget).unwrap_or(usize::MAX);
        let state = HostState {
            env,
            rules: Rules {
                inputs: input_names.len(),
                outputs: output_names.len(),
                max_message_len: self.config.max_message_len,
                text: self.config.text,
            },
            text: TextUsage::default(),
            bytes_per_fuel: if self.config.meters_fuel() { self.config.bytes_per_fuel } else { 0 },
            debt: 0,
            step_fuel: u64::MAX,
            limits: StoreLimitsBuilder::new()
                .memory_size(budget)
                .table_elements(self.config.max_table_elements)
                .instances(1)
                .build(),
            memory: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        let instance = self
            .linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| LoadError::Instantiate(describe(&e).into()))?;
        let memory = instance
            .get_memory(&store, abi::MEMORY_EXPORT)
            .ok_or(LoadError::MissingExport(abi::MEMORY_EXPORT))?;
        store.data_mut().memory = Some(memory);
        let run_task = instance
            .get_typed_func::<(), i32>(&store, abi::RUN_TASK_EXPORT)
            .map_err(|_| LoadError::RunTaskSignature)?;
        Ok(Guest::new(store, run_task, &self.config, (input_names, output_names)))
    }
}

/// Input and output names from the manifest, index order.
pub(crate) type Ports = (Vec<String>, Vec<String>);

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
    Ok((names(manifest.inputs()), names(manifest.outputs())))
}
