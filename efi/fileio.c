/*
 * fileio.c: reading a slot's files from the ESP spineboot was loaded from.
 *
 * Each file is opened once, its size checked against the cap before any
 * memory is allocated, read whole into one buffer, and closed. Everything
 * later (hashing, LoadImage, the initrd's LoadFile2) uses that buffer: no
 * path re-reads a file after it was verified.
 */
#include "spineboot.h"

#include <efilib.h>

EFI_STATUS spine_fs_open(EFI_HANDLE image, EFI_FILE_HANDLE *root)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_STATUS s;

	s = uefi_call_wrapper(spine_bs->HandleProtocol, 3, image, &LoadedImageProtocol,
	                      (void **)&li);
	if (EFI_ERROR(s))
		return s;
	s = uefi_call_wrapper(spine_bs->HandleProtocol, 3, li->DeviceHandle, &FileSystemProtocol,
	                      (void **)&fs);
	if (EFI_ERROR(s))
		return s;
	return uefi_call_wrapper(fs->OpenVolume, 2, fs, root);
}

/* "\spine\<slot>\<name>" as UTF-16; names are our own short ASCII constants. */
static void slot_path(CHAR16 *out, size_t cap, char slot, const char *name)
{
	static const char pre[] = "\\spine\\";
	size_t o = 0;

	for (const char *s = pre; *s && o + 1 < cap; s++)
		out[o++] = (CHAR16)*s;
	if (o + 2 < cap) {
		out[o++] = (CHAR16)slot;
		out[o++] = L'\\';
	}
	for (const char *s = name; *s && o + 1 < cap; s++)
		out[o++] = (CHAR16)*s;
	out[o] = 0;
}

spine_read_result spine_read_file(EFI_FILE_HANDLE root, char slot, const char *name, size_t cap,
                                  uint8_t **out, size_t *out_len, EFI_STATUS *status)
{
	/* EFI_FILE_INFO ends in the file name: room for any name FAT allows. */
	union {
		EFI_FILE_INFO info;
		uint8_t raw[sizeof(EFI_FILE_INFO) + 256 * sizeof(CHAR16)];
	} fi;
	CHAR16 path[64];
	EFI_FILE_HANDLE fh = NULL;
	UINTN n = sizeof(fi);
	uint8_t *buf = NULL;
	spine_read_result r = SPINE_READ_ERROR;
	size_t size, off = 0;
	EFI_STATUS s;

	slot_path(path, sizeof(path) / sizeof(path[0]), slot, name);
	s = uefi_call_wrapper(root->Open, 5, root, &fh, path, EFI_FILE_MODE_READ, 0ULL);
	if (EFI_ERROR(s)) {
		r = s == EFI_NOT_FOUND ? SPINE_READ_MISSING : SPINE_READ_ERROR;
		goto out;
	}
	s = uefi_call_wrapper(fh->GetInfo, 4, fh, &GenericFileInfo, &n, &fi);
	if (EFI_ERROR(s))
		goto out;
	if (fi.info.Attribute & EFI_FILE_DIRECTORY) {
		s = EFI_NOT_FOUND;
		r = SPINE_READ_MISSING;
		goto out;
	}
	if (fi.info.FileSize > cap) {
		r = SPINE_READ_TOO_LARGE;
		goto out;
	}
	size = (size_t)fi.info.FileSize;
	/* One byte more than needed, so an empty file still gets a real buffer. */
	s = uefi_call_wrapper(spine_bs->AllocatePool, 3, EfiLoaderData, size + 1, (void **)&buf);
	if (EFI_ERROR(s))
		goto out;
	while (off < size) {
		UINTN chunk = size - off;

		s = uefi_call_wrapper(fh->Read, 3, fh, &chunk, buf + off);
		if (EFI_ERROR(s))
			goto out;
		if (chunk == 0) { /* shorter than GetInfo said */
			s = EFI_END_OF_FILE;
			goto out;
		}
		off += chunk;
	}
	*out = buf;
	*out_len = size;
	buf = NULL;
	s = EFI_SUCCESS;
	r = SPINE_READ_OK;
out:
	if (buf)
		uefi_call_wrapper(spine_bs->FreePool, 1, buf);
	if (fh)
		uefi_call_wrapper(fh->Close, 1, fh);
	*status = s;
	return r;
}

EFI_DEVICE_PATH *spine_file_path(EFI_HANDLE image, char slot, const char *name)
{
	EFI_LOADED_IMAGE *li;
	CHAR16 path[64];

	if (EFI_ERROR(uefi_call_wrapper(spine_bs->HandleProtocol, 3, image, &LoadedImageProtocol,
	                                (void **)&li)))
		return NULL;
	slot_path(path, sizeof(path) / sizeof(path[0]), slot, name);
	/* libefi: the device's path with a file node appended, in pool memory. */
	return FileDevicePath(li->DeviceHandle, path);
}
