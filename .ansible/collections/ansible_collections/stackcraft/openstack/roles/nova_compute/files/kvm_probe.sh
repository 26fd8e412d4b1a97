#!/bin/sh
# Prints "kvm" when a guest really runs under KVM here, else "qemu" and why.
# /dev/kvm can exist and still hang every guest (nested virtualisation that
# does not work), so boot a 512-byte floppy whose code writes to qemu's
# isa-debug-exit port: qemu then exits with (0x41 << 1) | 1 = 131 at once.
# Usage: kvm_probe.sh QEMU_BINARY
qemu=$1
if ! [ -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "qemu: /dev/kvm is missing or not usable"
    exit 0
fi
if ! [ -x "$qemu" ]; then
    echo "qemu: $qemu not found"
    exit 0
fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
# mov al, 0x41; out 0xf4, al; hlt; jmp $-3 ... boot signature 55 aa
printf '\260\101\346\364\364\353\375' > "$dir/probe.img"
head -c 503 /dev/zero >> "$dir/probe.img"
printf '\125\252' >> "$dir/probe.img"
timeout 15 "$qemu" -machine accel=kvm -nodefaults -display none -no-reboot -m 16 \
    -drive "file=$dir/probe.img,format=raw,if=floppy" -boot a \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 131 ]; then
    echo kvm
else
    echo "qemu: the KVM probe guest did not run (qemu exit status $rc)"
fi
