//! What a module will cost to load, counted before the engine sees it.
//!
//! wasmi's parser, validator and translator allocate for what a module
//! declares: every function type, function, import, export, global, table
//! slot, element and data segment, and, while a body is translated, a
//! frame per nested block and a slot per operand. A module that fits a
//! 16 KiB slot can declare thousands of each, and loading it would take
//! many times the firmware's heap: with no way to recover from a failed
//! allocation, the firmware would die in the install check.
//!
//! [`Shape::scan`] counts all of it in one pass over the bytes, without
//! allocating (every operator of every body is read, so block nesting and
//! `br_table` sizes are known), and [`Shape::heap`] turns the counts into
//! an upper bound of the heap the load takes, part by part
//! ([`HeapEstimate`]). [`Host`](crate::Host) refuses a module whose bound
//! exceeds [`HostConfig::module_heap`](crate::HostConfig::module_heap)
//! before anything else allocates for it.
//!
//! The cost of each item ([`Costs`]) was measured by loading modules made
//! of thousands of that item alone, on the desktop (64-bit) and on the
//! QEMU firmware (32-bit), and rounded up: `crates/wasm-sdk-host/tests/shape.rs`
//! checks on the desktop that every such module's peak heap stays under
//! its estimate, and check 8 of `tests/qemu-checks` does so on the
//! firmware's own allocator.

use wasmparser::{ElementItems, Operator, Parser, Payload, TypeRef};

/// Counts of everything in a module that the engine allocates for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Function types.
    pub types: u32,
    /// Parameters and results of all function types.
    pub type_values: u32,
    /// Imports of any kind.
    pub imports: u32,
    /// Functions defined by the module (bodies).
    pub functions: u32,
    /// Exports of any kind.
    pub exports: u32,
    /// Bytes of import and export names.
    pub name_bytes: u32,
    /// Globals defined by the module.
    pub globals: u32,
    /// Tables defined by the module.
    pub tables: u32,
    /// Sum of the tables' initial sizes, in elements.
    pub table_slots: u64,
    /// Element segments.
    pub element_segments: u32,
    /// Items of all element segments.
    pub element_items: u32,
    /// Data segments.
    pub data_segments: u32,
    /// Bytes of all data segments.
    pub data_bytes: u32,
    /// Bytes of all function bodies.
    pub code_bytes: u32,
    /// Operators of all function bodies.
    pub operators: u32,
    /// Blocks, loops and try blocks of all function bodies.
    pub blocks: u32,
    /// `if`s of all function bodies.
    pub ifs: u32,
    /// The most operand pushes of one body: operators that only push
    /// (`local.get`, constants, ...), calls and blocks. The operand stack
    /// cannot grow higher than that while it is compiled.
    pub most_pushes: u32,
    /// The largest function body, in bytes.
    pub largest_body: u32,
    /// The deepest nesting of blocks, loops, ifs and try blocks in any
    /// body.
    pub deepest_nesting: u32,
    /// The most targets of one `br_table`.
    pub largest_br_table: u32,
}

/// Bytes of heap per item, the model [`Shape::heap`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Costs {
    /// An engine and an instance with nothing in them: what loading the
    /// smallest module costs.
    pub base: u32,
    /// A function type, plus [`type_value`](Self::type_value) per
    /// parameter and result.
    pub ty: u32,
    /// A parameter or result of a function type.
    pub type_value: u32,
    /// An import.
    pub import: u32,
    /// A defined function (its entry, its compiled code's header, its
    /// validation state).
    pub function: u32,
    /// An export, plus its name's bytes.
    pub export: u32,
    /// A name's byte (imports, exports).
    pub name_byte: u32,
    /// A global.
    pub global: u32,
    /// A table.
    pub table: u32,
    /// A table slot (the initial size is allocated at instantiation).
    pub table_slot: u32,
    /// An element segment.
    pub element_segment: u32,
    /// An element segment's item.
    pub element_item: u32,
    /// A data segment, plus its bytes (kept to initialize memory).
    pub data_segment: u32,
    /// An operator of any body (its compiled code).
    pub operator: u32,
    /// A block, loop or try block of any body, beyond its operators.
    pub block: u32,
    /// An `if` of any body, beyond its operators: its branch, its labels
    /// and the fuel metering of each arm cost wasmi far more than a plain
    /// block.
    pub if_block: u32,
    /// An operand push of the body with the most (the translator's and
    /// validator's operand stacks while it is compiled).
    pub operand: u32,
    /// A level of block nesting (the validator's and translator's control
    /// frames).
    pub nesting: u32,
}

impl Costs {
    /// The costs measured on a 64-bit desktop:
    /// `cargo test -p wasm-sdk-host --test shape -- --nocapture` prints
    /// each item's cost; these round them up.
    pub const POINTER_64: Costs = Costs {
        base: 12 * 1024,
        ty: 384,
        type_value: 16,
        import: 256,
        function: 288,
        export: 384,
        name_byte: 2,
        global: 112,
        table: 192,
        table_slot: 16,
        element_segment: 192,
        element_item: 40,
        data_segment: 144,
        operator: 16,
        block: 32,
        if_block: 192,
        operand: 24,
        nesting: 448,
    };

    /// The costs measured on a 32-bit microcontroller: check 8 of
    /// `tests/qemu-checks` prints each item's cost on the firmware's
    /// allocator; these round them up.
    pub const POINTER_32: Costs = Costs {
        base: 10 * 1024,
        ty: 256,
        type_value: 8,
        import: 192,
        function: 160,
        export: 256,
        name_byte: 2,
        global: 112,
        table: 192,
        table_slot: 16,
        element_segment: 256,
        element_item: 48,
        data_segment: 112,
        operator: 10,
        block: 16,
        if_block: 128,
        operand: 24,
        nesting: 320,
    };

    /// The costs for the target this is compiled for. A firmware's build
    /// script that checks modules for the device names the device's
    /// ([`POINTER_32`](Self::POINTER_32)) in its
    /// [`HostConfig::module_costs`](crate::HostConfig::module_costs).
    pub const NATIVE: Costs =
        if cfg!(target_pointer_width = "64") { Costs::POINTER_64 } else { Costs::POINTER_32 };
}

/// One part of a [`HeapEstimate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The engine and the instance themselves.
    Base,
    /// Function types.
    Types,
    /// Imports.
    Imports,
    /// Defined functions.
    Functions,
    /// Exports.
    Exports,
    /// Globals.
    Globals,
    /// Tables and their initial slots.
    Tables,
    /// Element segments and their items.
    Elements,
    /// Data segments and their bytes.
    Data,
    /// Compiled code, by operator.
    Code,
    /// Translating the largest body: its operands and nested blocks.
    Translation,
}

impl Part {
    /// Every part, in [`HeapEstimate::parts`] order.
    pub const ALL: [Part; 11] = [
        Part::Base,
        Part::Types,
        Part::Imports,
        Part::Functions,
        Part::Exports,
        Part::Globals,
        Part::Tables,
        Part::Elements,
        Part::Data,
        Part::Code,
        Part::Translation,
    ];

    /// What the part counts, e.g. `"function types"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Part::Base => "engine and instance",
            Part::Types => "function types",
            Part::Imports => "imports",
            Part::Functions => "functions",
            Part::Exports => "exports",
            Part::Globals => "globals",
            Part::Tables => "table slots",
            Part::Elements => "element items",
            Part::Data => "data segments",
            Part::Code => "code",
            Part::Translation => "nested blocks and operands of one body",
        }
    }
}

/// The heap loading a module takes at most, by [`Part`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapEstimate {
    /// Bytes per part, in [`Part::ALL`] order.
    pub parts: [u64; 11],
}

impl HeapEstimate {
    /// All parts together.
    pub fn total(&self) -> u64 {
        self.parts.iter().fold(0, |sum, part| sum.saturating_add(*part))
    }

    /// The part that costs most, with its bytes: what to shrink first.
    pub fn largest(&self) -> (Part, u64) {
        let mut largest = (Part::Base, 0);
        for (part, bytes) in Part::ALL.into_iter().zip(self.parts) {
            if part != Part::Base && bytes > largest.1 {
                largest = (part, bytes);
            }
        }
        largest
    }
}

impl Shape {
    /// Counts a module's items in one pass, reading every operator of
    /// every body; allocates nothing a module can make large.
    ///
    /// # Errors
    ///
    /// The bytes are not a well-formed module (the operators of a body
    /// aside: those are counted up to the first that does not read).
    pub fn scan(bytes: &[u8]) -> wasmparser::Result<Shape> {
        let mut shape = Shape::default();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::TypeSection(reader) => {
                    for ty in reader.into_iter_err_on_gc_types() {
                        let ty = ty?;
                        shape.types = shape.types.saturating_add(1);
                        let values = ty.params().len() + ty.results().len();
                        shape.type_values = shape.type_values.saturating_add(saturate(values));
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader {
                        let import = import?;
                        shape.imports = shape.imports.saturating_add(1);
                        shape.add_name(import.module.len() + import.name.len());
                        if let TypeRef::Table(table) = import.ty {
                            shape.add_table(table.initial);
                        }
                    }
                }
                // The items of tables, elements and data, like the operators
                // of a body, are counted up to the first that does not
                // read: the engine refuses the module there (invalid, not
                // malformed: `ModuleInfo` does not read these items),
                // having allocated for what came before, which is counted.
                Payload::TableSection(reader) => {
                    for table in reader.into_iter().map_while(Result::ok) {
                        shape.add_table(table.ty.initial);
                    }
                }
                Payload::GlobalSection(reader) => shape.globals = reader.count(),
                Payload::ExportSection(reader) => {
                    for export in reader {
                        shape.exports = shape.exports.saturating_add(1);
                        shape.add_name(export?.name.len());
                    }
                }
                Payload::ElementSection(reader) => {
                    for element in reader.into_iter().map_while(Result::ok) {
                        let items = match element.items {
                            ElementItems::Functions(items) => items.count(),
                            ElementItems::Expressions(_, items) => items.count(),
                        };
                        shape.element_segments = shape.element_segments.saturating_add(1);
                        shape.element_items = shape.element_items.saturating_add(items);
                    }
                }
                Payload::DataSection(reader) => {
                    for data in reader.into_iter().map_while(Result::ok) {
                        shape.data_segments = shape.data_segments.saturating_add(1);
                        shape.data_bytes =
                            shape.data_bytes.saturating_add(saturate(data.data.len()));
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let size = saturate(body.range().len());
                    shape.functions = shape.functions.saturating_add(1);
                    shape.code_bytes = shape.code_bytes.saturating_add(size);
                    shape.largest_body = shape.largest_body.max(size);
                    // An operator that does not read ends the body's count:
                    // the engine refuses the module there, having
                    // allocated for what came before, which is counted.
                    // It is an invalid module, not a malformed one.
                    let _ = shape.scan_body(&body);
                }
                _ => {}
            }
        }
        Ok(shape)
    }

    /// Nesting, `br_table` targets and operators of one body.
    fn scan_body(&mut self, body: &wasmparser::FunctionBody<'_>) -> wasmparser::Result<()> {
        let mut reader = body.get_operators_reader()?;
        let (mut depth, mut operators, mut pushes) = (0u32, 0u32, 0u32);
        while !reader.eof() {
            let operator = reader.read()?;
            match operator {
                Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::Try { .. }
                | Operator::TryTable { .. } => {
                    depth = depth.saturating_add(1);
                    self.deepest_nesting = self.deepest_nesting.max(depth);
                    if matches!(operator, Operator::If { .. }) {
                        self.ifs = self.ifs.saturating_add(1);
                    } else {
                        self.blocks = self.blocks.saturating_add(1);
                    }
                    pushes = pushes.saturating_add(1);
                }
                Operator::End | Operator::Delegate { .. } => depth = depth.saturating_sub(1),
                Operator::BrTable { targets } => {
                    self.largest_br_table = self.largest_br_table.max(targets.len());
                }
                Operator::LocalGet { .. }
                | Operator::GlobalGet { .. }
                | Operator::I32Const { .. }
                | Operator::I64Const { .. }
                | Operator::F32Const { .. }
                | Operator::F64Const { .. }
                | Operator::RefNull { .. }
                | Operator::RefFunc { .. }
                | Operator::MemorySize { .. }
                | Operator::TableSize { .. }
                | Operator::Call { .. }
                | Operator::CallIndirect { .. } => pushes = pushes.saturating_add(1),
                _ => {}
            }
            operators = operators.saturating_add(1);
        }
        self.most_pushes = self.most_pushes.max(pushes);
        self.operators = self.operators.saturating_add(operators);
        Ok(())
    }

    fn add_name(&mut self, len: usize) {
        self.name_bytes = self.name_bytes.saturating_add(saturate(len));
    }

    fn add_table(&mut self, initial: u64) {
        self.tables = self.tables.saturating_add(1);
        self.table_slots = self.table_slots.saturating_add(initial);
    }

    /// The heap loading this module takes at most, with `costs` per item
    /// ([`HostConfig::module_costs`](crate::HostConfig::module_costs)). The guest's
    /// linear memory is not in it: that is
    /// [`HostConfig::memory_budget`](crate::HostConfig::memory_budget).
    pub fn heap(&self, costs: &Costs) -> HeapEstimate {
        let times = |count: u64, cost: u32| count.saturating_mul(u64::from(cost));
        let c = costs;
        let parts = [
            u64::from(c.base),
            times(self.types.into(), c.ty)
                .saturating_add(times(self.type_values.into(), c.type_value)),
            times(self.imports.into(), c.import),
            times(self.functions.into(), c.function),
            times(self.exports.into(), c.export)
                .saturating_add(times(self.name_bytes.into(), c.name_byte)),
            times(self.globals.into(), c.global),
            times(self.tables.into(), c.table)
                .saturating_add(times(self.table_slots, c.table_slot)),
            times(self.element_segments.into(), c.element_segment)
                .saturating_add(times(self.element_items.into(), c.element_item)),
            times(self.data_segments.into(), c.data_segment).saturating_add(self.data_bytes.into()),
            times(self.operators.into(), c.operator)
                .saturating_add(times(self.blocks.into(), c.block))
                .saturating_add(times(self.ifs.into(), c.if_block)),
            times(self.most_pushes.into(), c.operand)
                .saturating_add(times(self.deepest_nesting.into(), c.nesting)),
        ];
        HeapEstimate { parts }
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
