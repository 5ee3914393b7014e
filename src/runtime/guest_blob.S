/*
 * guest_blob.S — embeds the QuickJS guest module (build/nexus_guest.wasm, built by
 * src/guest) in the runtime library as read-only bytes, so the runtime needs no file at
 * run time. Symbols (see guest.h): nxr_guest_wasm .. nxr_guest_wasm_end.
 */
    .section .rodata
    .balign 16
    .globl nxr_guest_wasm
nxr_guest_wasm:
    .incbin NEXUS_GUEST_WASM_PATH
    .globl nxr_guest_wasm_end
nxr_guest_wasm_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
