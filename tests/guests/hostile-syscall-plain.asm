; hostile-syscall.asm again, as an image without a manifest: under
; peelentry=syscall the host's syscall entry stays closed while it runs
; (host/vmm/guest.h syscall_entry), so its syscall gets the CPU's own #UD.
; (hostile-syscall.manifest makes the other image one whose entry is open:
; there the scanner sends the same syscall through the host.)
%include "tests/guests/hostile-syscall.asm"
