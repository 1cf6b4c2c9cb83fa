#!/usr/bin/env bash
# Flash and RAM of the nRF5340 firmware, and what the Wasm runtime costs.
#
#   ./size.sh            build (release) with and without the Wasm host and the
#                        SMP server, print figures
#   ./size.sh --no-build print figures of the ELFs already built
#
# Needs only cargo and binutils' `readelf` (no llvm-tools, no cargo-binutils).
# The figures, in bytes, are also written to figures/nrf53-flash.toml (by
# scripts/figures-from-log), from which the book's tables are made.
#
# Method:
# - flash = every allocated PROGBITS section (vector table, .text, .rodata
#   and the .data image, which cortex-m-rt copies to RAM at boot);
#   RAM = every allocated writable section (.data, .bss, .uninit). The stack
#   is not counted: it takes whatever RAM is left, from the top of RAM down.
# - split, two ways:
#   1. difference: the same firmware linked with `--features no-wasm`, where
#      native stand-ins replace the guests, so wasmi, wasm-sdk-host, the
#      bridge and the .wasm modules are dead code the linker drops; the
#      difference is what Wasm costs, the baseline is embassy, drivers, defmt
#      and the application. Likewise `--features update` adds live module
#      updates: the difference is what they cost (SMP server, CBOR,
#      SHA-256, module slots, `wasm_sdk_embassy::update`, the guest group, the
#      NVMC and UARTE1 drivers). The budget applies to the default build;
#      the smp build's figure and verdict are printed.
#      Trusted loading (`--no-default-features`: no on-device validation,
#      guests stamped at build time, uploads signed) is linked the same
#      ways; its smp build with a public key (a fixed one: flash does not
#      depend on which) includes the signature check it relies on.
#   2. symbols: sizes of the function and object symbols of the full build
#      in flash sections, grouped by the crate their demangled name starts
#      with. Inlined code counts for the caller and generic instances for the
#      crate of the impl, so this is indicative; bytes without a symbol
#      (string literals, anonymous constants, the embedded .wasm modules,
#      padding) are listed as such.
set -euo pipefail
cd "$(dirname "$0")"

# Where cargo puts the build: honours CARGO_TARGET_DIR and cargo's config.
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
ELF_DIR=$target_dir/thumbv8m.main-none-eabihf/release
FULL=$ELF_DIR/nrf53-host
BASE=$ELF_DIR/nrf53-host-no-wasm
SMP=$ELF_DIR/nrf53-host-smp
TRUSTED=$ELF_DIR/nrf53-host-trusted
TRUSTED_SMP=$ELF_DIR/nrf53-host-trusted-smp

if [[ "${1:-}" != "--no-build" ]]; then
    cargo build --release --quiet --features no-wasm
    cp "$FULL" "$BASE"
    cargo build --release --quiet --features update
    cp "$FULL" "$SMP"
    cargo build --release --quiet --no-default-features
    cp "$FULL" "$TRUSTED"
    key=$(mktemp)
    { printf '\001'; printf 'size.sh: fixed public key, 32 B.' ; } >"$key"
    WASM_SDK_PUBLIC_KEY=$key cargo build --release --quiet --no-default-features --features update
    rm -f "$key"
    cp "$FULL" "$TRUSTED_SMP"
    cargo build --release --quiet
fi

# "flash ram heap" of an ELF, in bytes.
figures() {
    local heap
    heap=$(readelf -s -W "$1" | awk '$8 ~ /HEAP_MEMORY/ && !seen++ {print $3}')
    readelf -S -W "$1" | sed 's/^ *\[ *[0-9]*\] *//' | awk -v heap="${heap:-0}" '
        function hex(s,   i, n, c) {
            n = 0; s = tolower(s)
            for (i = 1; i <= length(s); i++) {
                c = index("0123456789abcdef", substr(s, i, 1)) - 1
                n = n * 16 + c
            }
            return n
        }
        # Name Type Addr Off Size ES Flg ...: allocated sections only.
        $7 ~ /A/ {
            size = hex($5)
            if ($2 == "PROGBITS") flash += size
            if ($7 ~ /W/) ram += size
        }
        END { print flash + 0, ram + 0, heap + 0 }'
}

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }

# Figure lines for figures/nrf53-flash.toml: `fig TABLE KEY VALUE`.
figs=""
fig() { figs+="figure $1 $2 = $3"$'\n'; }

BUDGET=$((400 * 1024))
read -r full_flash full_ram full_heap < <(figures "$FULL")
verdict="within the 400 KiB budget"
((full_flash > BUDGET)) && verdict="OVER the 400 KiB budget by $((full_flash - BUDGET)) B"
echo "nrf53-host (release, thumbv8m.main-none-eabihf)"
printf '  %-44s %9s (%d B), %s\n' "flash" "$(kib "$full_flash")" "$full_flash" "$verdict"
printf '  %-44s %9s (%d B), heap %s of it; the stack gets the rest of 512 KiB\n' \
    "RAM (.data + .bss + .uninit)" "$(kib "$full_ram")" "$full_ram" "$(kib "$full_heap")"
fig default flash "$full_flash"
fig default ram "$full_ram"
fig default heap "$full_heap"
fig default flash_budget "$BUDGET"

if [[ -f "$BASE" ]]; then
    read -r base_flash base_ram _ < <(figures "$BASE")
    echo
    echo "split by difference (same firmware linked with --features no-wasm):"
    printf '  %-44s %9s\n' "embassy, drivers, defmt, services, app" "$(kib "$base_flash")"
    printf '  %-44s %9s\n' "wasmi, host, bridge, .wasm modules" \
        "$(kib $((full_flash - base_flash)))"
    printf '  %-44s %9s\n' "RAM of the no-wasm build (same heap)" "$(kib "$base_ram")"
    fig no-wasm flash "$base_flash"
    fig no-wasm ram "$base_ram"
fi
if [[ -f "$SMP" ]]; then
    read -r smp_flash smp_ram _ < <(figures "$SMP")
    smp_verdict="within the 400 KiB budget"
    ((smp_flash > BUDGET)) && smp_verdict="OVER the 400 KiB budget by $((smp_flash - BUDGET)) B"
    echo
    echo "with live updates (--features update: SMP server, slots, update path, guest group):"
    printf '  %-44s %9s (%d B), %s\n' "flash" "$(kib "$smp_flash")" "$smp_flash" "$smp_verdict"
    printf '  %-44s %9s\n' "SMP, slots, update path, UARTE1, NVMC" \
        "$(kib $((smp_flash - full_flash)))"
    printf '  %-44s %9s\n' "their static RAM (buffers, module scratch)" \
        "$(kib $((smp_ram - full_ram)))"
    fig update flash "$smp_flash"
    fig update ram "$smp_ram"
fi

if [[ -f "$TRUSTED" && -f "$TRUSTED_SMP" ]]; then
    read -r trusted_flash _ _ < <(figures "$TRUSTED")
    read -r tsmp_flash _ _ < <(figures "$TRUSTED_SMP")
    echo
    echo "trusted loading (--no-default-features: validated and stamped off the device):"
    printf '  %-44s %9s (%d B), validation saves %s\n' "flash" "$(kib "$trusted_flash")" \
        "$trusted_flash" "$(kib $((full_flash - trusted_flash)))"
    if [[ -f "$BASE" ]]; then
        printf '  %-44s %9s\n' "wasmi, host, bridge, .wasm modules" \
            "$(kib $((trusted_flash - base_flash)))"
    fi
    printf '  %-44s %9s (%d B)\n' "with live updates and the signature check" \
        "$(kib "$tsmp_flash")" "$tsmp_flash"
    fig trusted flash "$trusted_flash"
    fig trusted-update flash "$tsmp_flash"
fi

echo
echo "split by symbol, full build (indicative: inlined code counts for its caller):"
# The modules are embedded with include_bytes!: no symbol, so count them from
# the newest build of each.
wasm_bytes=0
for guest in counter alarm primes; do
    newest=$(ls -t "$ELF_DIR"/build/nrf53-host-*/out/guests/wasm32-unknown-unknown/release/"$guest".wasm \
        2>/dev/null | head -n 1 || true)
    [[ -n "$newest" ]] && wasm_bytes=$((wasm_bytes + $(stat -c %s "$newest")))
done
symbols=$(mktemp)
flash_sections=$(readelf -S -W "$FULL" | sed 's/^ *\[ *//; s/\]//' |
    awk '$8 ~ /A/ && $3 == "PROGBITS" { printf "%s ", $1 }')
readelf -s -W -C "$FULL" | awk -v secs="$flash_sections" -v total="$full_flash" -v wasm="$wasm_bytes" '
    BEGIN { n = split(secs, s, " "); for (i = 1; i <= n; i++) flash[s[i]] = 1 }
    ($4 == "FUNC" || $4 == "OBJECT") && $3 > 0 && ($7 in flash) {
        name = $8
        for (i = 9; i <= NF; i++) name = name " " $i
        sub(/^[<&*( ]+/, "", name)
        sub(/^(dyn |mut |const )+/, "", name)
        split(name, part, "::")
        crate = part[1]
        # `<T as core::fmt::Debug>::fmt`, `<F as wasmi::...>`: the trait crate.
        if (match(crate, / as [a-z_0-9]+$/)) crate = substr(crate, RSTART + 4)
        if (crate ~ /^\.L/) group = "anonymous constants"
        else if (crate ~ /^(wasmi|wasmi_ir|wasmi_core|wasmi_collections)$/) group = "wasmi"
        else if (crate == "wasmparser") group = "wasmparser (validation, parsing)"
        else if (crate ~ /^(wasm_sdk_host|wasm_sdk_abi|wasm_sdk_embassy)$/) group = "wasm-sdk-host + bridge"
        else if (crate ~ /^(embassy_|nrf_pac|cortex_m|defmt|cordyceps|critical_section|embedded_)/ ||
                 crate ~ /^[A-Z0-9_]+$/ || crate ~ /^(Reset|HardFault|DefaultHandler|__pre_init)/)
            group = "embassy, drivers, defmt, rt"
        else if (crate ~ /^(wasm_sdk_smp|minicbor|sha2|digest|base64|crc|hybrid_array)$/)
            group = "SMP crates: smp, minicbor, sha2, base64, crc"
        else if (crate == "nrf53_host") group = "application (nrf53_host)"
        else if (crate ~ /^(core|alloc|compiler_builtins|libm|__aeabi|__)/ ||
                 crate ~ /^(u8|u16|u32|u64|usize|i8|i16|i32|i64|isize|f32|f64|str|char|bool)( |>|$)/)
            group = "core, alloc, compiler-builtins"
        else group = "other"
        size[group] += $3; named += $3
    }
    END {
        # sort key, bytes, label: groups by size, then the summary lines.
        for (g in size) printf "1\t%d\t%s\n", size[g], g
        printf "2\t%d\t%s\n", wasm, "embedded .wasm modules"
        printf "3\t%d\t%s\n", total - named - wasm, "without symbol (strings, consts, padding)"
        printf "4\t%d\t%s\n", total, "total"
    }' | sort -t "$(printf '\t')" -k1,1n -k2,2nr >"$symbols"
awk -F '\t' '{ printf "  %-44s %5.1f KiB (%d B)\n", $3, $2 / 1024, $2 }' "$symbols"
# The groups' figures, keyed by their label's first words.
figs+=$(awk -F '\t' '$1 < 4 {
    key = tolower($3); sub(/[ ,(:].*/, "", key); if ($1 == 3) key = "without-symbol"
    else if ($1 == 2) key = "wasm-modules"
    printf "figure symbols %s = %d\n", key, $2 }' "$symbols")
rm -f "$symbols"
printf '%s\n' "$figs" | ../../scripts/figures-from-log --quiet ../../figures/nrf53-flash.toml \
    "cd examples/nrf53-host && ./size.sh"

# A build over budget fails CI, after the figures are printed.
((full_flash <= BUDGET))
