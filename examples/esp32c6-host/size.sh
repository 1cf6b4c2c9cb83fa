#!/usr/bin/env bash
# Flash and RAM of the ESP32-C6 firmware, and what the Wasm runtime costs.
#
#   ./size.sh            build (release) with and without the Wasm host, print
#                        figures
#   ./size.sh --no-build print figures of the ELFs already built
#
# Needs only cargo and binutils' `readelf` (no espflash, no llvm-tools).
# The figures, in bytes, are also written to figures/esp32c6-flash.toml (by
# scripts/figures-from-log), from which the book's tables are made.
#
# Method. An ESP32-C6 app image (what espflash writes at 0x10000) is a
# header, then one segment per ELF section with content, then a checksum
# and a SHA-256 digest. Its sections are of two kinds:
# - mapped from flash (execute in place through the cache, at 0x42xx_xxxx):
#   .flash.appdesc (the app descriptor), .rodata, .text;
# - loaded into SRAM by the second-stage bootloader at boot, so stored in
#   flash too: .trap and .rwtext (code run from RAM: interrupt entry and
#   esp-hal's `#[ram]` functions), .data.
# flash = every allocated PROGBITS section (both kinds); .bss, .noinit,
# .stack and the `.text_gap` placeholder are NOBITS and cost no flash. The
# image adds 8 B per segment, 24 B of header, the digest, and padding that
# keeps each flash-mapped segment at the same offset in a 64 KiB page as
# its address: up to 64 KiB that `espflash save-image` would show and this
# does not count. RAM = the RAM-loaded code plus every allocated writable
# section (.data, .bss): the stack gets the rest of esp-hal's 441.5 KiB.
# Split by difference: the same firmware linked with `--features no-wasm`
# (native stand-ins for the guests, so wasmi, wasm-sdk-host, the bridge and
# the .wasm modules are dead code the linker drops); the difference is what
# Wasm costs.
#
# Budget: 1 MiB, the factory app partition of ESP-IDF's default single-app
# partition table, the smallest usual layout (boards have 4 or 8 MiB).
set -euo pipefail
cd "$(dirname "$0")"

# Where cargo puts the build: honours CARGO_TARGET_DIR and cargo's config.
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
ELF_DIR=$target_dir/riscv32imac-unknown-none-elf/release
FULL=$ELF_DIR/esp32c6-host
BASE=$ELF_DIR/esp32c6-host-no-wasm

if [[ "${1:-}" != "--no-build" ]]; then
    cargo build --release --quiet --locked --features no-wasm
    cp "$FULL" "$BASE"
    cargo build --release --quiet --locked
fi

# "flash xip loaded ram heap" of an ELF, in bytes: flash total, its
# flash-mapped part, its part copied to SRAM at boot, static RAM, heap.
figures() {
    local heap
    heap=$(readelf -s -W "$1" | awk '$8 ~ /HEAP_MEMORY/ && !seen++ {print $3}')
    readelf -S -W "$1" | sed 's/^ *\[ *[0-9]*\] *//' | awk -v heap="${heap:-0}" '
        function hex(s,   i, n) {
            n = 0; s = tolower(s)
            for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return n
        }
        # Name Type Addr Off Size ES Flg ...: allocated sections only.
        $7 ~ /A/ {
            size = hex($5); addr = hex($3)
            if ($2 == "PROGBITS") {
                flash += size
                # 0x4200_0000..0x4300_0000: the flash cache window.
                if (addr >= 1107296256 && addr < 1124073472) xip += size; else loaded += size
            }
            if ($2 == "PROGBITS" && $7 ~ /X/ && addr < 1107296256) ram += size
            if ($7 ~ /W/) ram += size
        }
        END { print flash + 0, xip + 0, loaded + 0, ram + 0, heap + 0 }'
}

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
row() { printf '  %-50s %9s\n' "$1" "$2"; }

BUDGET=$((1024 * 1024))
read -r flash xip loaded ram heap < <(figures "$FULL")
verdict="within the 1 MiB budget"
((flash > BUDGET)) && verdict="OVER the 1 MiB budget by $((flash - BUDGET)) B"
echo "esp32c6-host (release, riscv32imac-unknown-none-elf)"
printf '  %-50s %9s (%d B), %s\n' "flash" "$(kib "$flash")" "$flash" "$verdict"
row "  mapped from flash (.flash.appdesc .rodata .text)" "$(kib "$xip")"
row "  copied to SRAM at boot (.trap .rwtext .data)" "$(kib "$loaded")"
printf '  %-50s %9s (%d B), heap %s of it; the stack gets the rest of 441.5 KiB\n' \
    "RAM (RAM code + .data + .bss)" "$(kib "$ram")" "$ram" "$(kib "$heap")"
figs="figure default flash = $flash
figure default flash_budget = $BUDGET
figure default mapped = $xip
figure default loaded = $loaded
figure default ram = $ram
figure default heap = $heap
"

# The modules are embedded with include_bytes!: count them from the newest
# build of each.
wasm_bytes=0
for guest in counter primes; do
    newest=$(ls -t "$ELF_DIR"/build/esp32c6-host-*/out/"$guest".wasm 2>/dev/null | head -n 1 || true)
    [[ -n "$newest" ]] && wasm_bytes=$((wasm_bytes + $(stat -c %s "$newest")))
done
if [[ -f "$BASE" ]]; then
    read -r base_flash _ _ base_ram _ < <(figures "$BASE")
    echo
    echo "split by difference (same firmware linked with --features no-wasm):"
    row "esp-hal, esp-rtos, embassy, services, app" "$(kib "$base_flash")"
    row "wasmi, host, bridge, .wasm modules" "$(kib $((flash - base_flash)))"
    row "  of which the embedded .wasm modules" "$(kib "$wasm_bytes")"
    echo "  wasm runtime costs $(kib $((flash - base_flash))) of flash"
    row "RAM of the no-wasm build (same heap)" "$(kib "$base_ram")"
    figs+="figure default wasm_modules = $wasm_bytes
figure no-wasm flash = $base_flash
figure no-wasm ram = $base_ram
"
fi
printf '%s' "$figs" | ../../scripts/figures-from-log --quiet ../../figures/esp32c6-flash.toml \
    "cd examples/esp32c6-host && ./size.sh"

# A build over budget fails CI, after the figures are printed.
((flash <= BUDGET))
