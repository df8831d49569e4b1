# image/spine/: the bay0 Spine (initramfs, default personas, slots, ESP) and its VM tests.
