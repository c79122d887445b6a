; The descriptor fuzzer (fuzz-desc.asm) again, under another name so that it
; has a manifest (fuzz-far.manifest): a guest whose peel sites may enter by
; syscall, where the host patches every far jmp, call and retf and makes it
; itself (host/vmm/scan.c far_seen, host/vmm/branch.c).  Its digests must
; still equal a bare PC's for the same seed: the fuzzer's far transfers,
; random descriptors and all, now all go through the host's emulation.
%include "tests/guests/fuzz-desc.asm"
