/*
 * handoff.c: starting the verified kernel from the verified buffers.
 *
 *  - The kernel: LoadImage(SourceBuffer = the verified bytes), never a path
 *    for the firmware to read. The device path given names the file only so
 *    that the kernel's EFI_LOADED_IMAGE has a sensible FilePath.
 *  - Secure Boot: the kernel is signify-verified, not db-signed, so for the
 *    one LoadImage call the Security(2) Arch protocols are hooked to approve
 *    exactly that buffer (pointer and size) and nothing else; the original
 *    functions are restored before LoadImage's status is even looked at.
 *  - The initrd: a LoadFile2 protocol on a new handle whose device path is
 *    LINUX_EFI_INITRD_MEDIA_GUID's vendor media node, which the EFI stub
 *    (Linux 5.8+) asks for; it hands out the verified buffer.
 *  - The cmdline: the child's LoadOptions, set between LoadImage and
 *    StartImage. spineboot's own LoadOptions are never read.
 * docs/boot.md, "Handoff" and "Secure Boot", says why each step is so.
 */
#include "spineboot.h"

#include <efilib.h>

/* ---- Security Arch protocol override --------------------------------------- */

static EFI_GUID security_guid = {
        0xa46423e3, 0x4617, 0x49f1, {0xb9, 0xff, 0xd1, 0xbf, 0xa9, 0x11, 0x58, 0x39}};
static EFI_GUID security2_guid = {
        0x94ab2f58, 0x1438, 0x4ef1, {0x91, 0x52, 0x18, 0x94, 0x1a, 0x3a, 0x0e, 0x68}};

typedef struct security_protocol security_protocol;
typedef EFI_STATUS(EFIAPI *file_auth_state_fn)(const security_protocol *This, UINT32 AuthStatus,
                                               const EFI_DEVICE_PATH *File);
struct security_protocol {
	file_auth_state_fn FileAuthenticationState;
};

typedef struct security2_protocol security2_protocol;
typedef EFI_STATUS(EFIAPI *file_auth_fn)(const security2_protocol *This,
                                         const EFI_DEVICE_PATH *DevicePath, VOID *FileBuffer,
                                         UINTN FileSize, BOOLEAN BootPolicy);
struct security2_protocol {
	file_auth_fn FileAuthentication;
};

/* The one buffer the hooks approve, for the duration of one LoadImage. */
static struct {
	const void *buf;
	UINTN len;
	const EFI_DEVICE_PATH *dp;
	security_protocol *sec;
	security2_protocol *sec2;
	file_auth_state_fn orig_sec;
	file_auth_fn orig_sec2;
} ovr;

static size_t dp_size(const EFI_DEVICE_PATH *dp)
{
	const UINT8 *p = (const UINT8 *)dp;
	size_t n = 0;

	/* Bounded: a real device path has far fewer than 256 nodes. */
	for (int i = 0; i < 256; i++) {
		const UINT8 *node = p + n;
		size_t len = (size_t)node[2] | (size_t)node[3] << 8;

		if (len < sizeof(EFI_DEVICE_PATH))
			return 0;
		n += len;
		if (node[0] == END_DEVICE_PATH_TYPE && node[1] == END_ENTIRE_DEVICE_PATH_SUBTYPE)
			return n;
	}
	return 0;
}

static bool dp_equal(const EFI_DEVICE_PATH *a, const EFI_DEVICE_PATH *b)
{
	size_t na, nb;

	if (!a || !b)
		return false;
	na = dp_size(a);
	nb = dp_size(b);
	return na && na == nb && sv_ct_equal(a, b, na);
}

/*
 * Security2 is what LoadImage consults for a buffer (EDK2 runs its db/dbx
 * check and its own TPM measurement behind it). Our buffer is approved; any
 * other image, even one loaded while the hook is in place, goes to the
 * firmware's original function.
 */
static EFI_STATUS EFIAPI hook_sec2(const security2_protocol *This, const EFI_DEVICE_PATH *dp,
                                   VOID *buf, UINTN len, BOOLEAN boot_policy)
{
	if (buf && buf == ovr.buf && len == ovr.len)
		return EFI_SUCCESS;
	return ovr.orig_sec2(This, dp, buf, len, boot_policy);
}

/* Security (v1) sees only a device path, no buffer: ours is approved only by
 * its exact bytes, and only inside the LoadImage window. */
static EFI_STATUS EFIAPI hook_sec(const security_protocol *This, UINT32 auth_status,
                                  const EFI_DEVICE_PATH *dp)
{
	if (ovr.dp && dp_equal(dp, ovr.dp))
		return EFI_SUCCESS;
	return ovr.orig_sec(This, auth_status, dp);
}

static void override_on(const void *buf, size_t len, const EFI_DEVICE_PATH *dp)
{
	ovr.buf = buf;
	ovr.len = len;
	ovr.dp = dp;
	ovr.sec = NULL;
	ovr.sec2 = NULL;
	/* Absent protocols are fine: then nothing checks LoadImage either. */
	if (!EFI_ERROR(uefi_call_wrapper(spine_bs->LocateProtocol, 3, &security_guid, NULL,
	                                 (void **)&ovr.sec)) &&
	    ovr.sec) {
		ovr.orig_sec = ovr.sec->FileAuthenticationState;
		ovr.sec->FileAuthenticationState = hook_sec;
	}
	if (!EFI_ERROR(uefi_call_wrapper(spine_bs->LocateProtocol, 3, &security2_guid, NULL,
	                                 (void **)&ovr.sec2)) &&
	    ovr.sec2) {
		ovr.orig_sec2 = ovr.sec2->FileAuthentication;
		ovr.sec2->FileAuthentication = hook_sec2;
	}
}

static void override_off(void)
{
	if (ovr.sec)
		ovr.sec->FileAuthenticationState = ovr.orig_sec;
	if (ovr.sec2)
		ovr.sec2->FileAuthentication = ovr.orig_sec2;
	ovr.sec = NULL;
	ovr.sec2 = NULL;
	ovr.buf = NULL;
	ovr.len = 0;
	ovr.dp = NULL;
}

/* ---- The initrd through LoadFile2 --------------------------------------------- */

static EFI_GUID load_file2_guid = {
        0x4006c0c1, 0xfcb3, 0x403e, {0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d}};

/* Vendor media node (MEDIA_DEVICE_PATH / MEDIA_VENDOR_DP) + end node, laid
 * out byte for byte as the EFI stub matches it. */
static const struct {
	EFI_DEVICE_PATH vendor;
	EFI_GUID guid;
	EFI_DEVICE_PATH end;
} __attribute__((packed)) initrd_dp = {
        .vendor = {MEDIA_DEVICE_PATH,
                   MEDIA_VENDOR_DP,
                   {sizeof(EFI_DEVICE_PATH) + sizeof(EFI_GUID), 0}},
        .guid = {0x5568e427, 0x68fc, 0x4f3d, {0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68}},
        .end = {END_DEVICE_PATH_TYPE, END_ENTIRE_DEVICE_PATH_SUBTYPE, {sizeof(EFI_DEVICE_PATH), 0}},
};

/* The protocol first, so the function finds its buffer from This. */
struct initrd_loader {
	EFI_LOAD_FILE_PROTOCOL lf2;
	const uint8_t *p;
	size_t len;
};

static EFI_STATUS EFIAPI initrd_load(struct _EFI_LOAD_FILE_PROTOCOL *This, EFI_DEVICE_PATH *path,
                                     BOOLEAN boot_policy, UINTN *size, VOID *buf)
{
	const struct initrd_loader *l = (const struct initrd_loader *)This;

	(void)path;
	if (!This || !size)
		return EFI_INVALID_PARAMETER;
	/* LoadFile2 never serves a boot-manager request (UEFI 13.2). */
	if (boot_policy)
		return EFI_UNSUPPORTED;
	if (!buf || *size < l->len) {
		*size = l->len;
		return EFI_BUFFER_TOO_SMALL;
	}
	for (size_t i = 0; i < l->len; i++)
		((uint8_t *)buf)[i] = l->p[i];
	*size = l->len;
	return EFI_SUCCESS;
}

static struct initrd_loader initrd_loader;

static EFI_STATUS initrd_install(const uint8_t *p, size_t len, EFI_HANDLE *h)
{
	EFI_DEVICE_PATH *dp = (EFI_DEVICE_PATH *)(UINTN)&initrd_dp;
	EFI_HANDLE other;
	EFI_STATUS s;

	/* Another loader's initrd must not be served in place of ours. */
	s = uefi_call_wrapper(spine_bs->LocateDevicePath, 3, &load_file2_guid, &dp, &other);
	if (!EFI_ERROR(s) && dp->Type == END_DEVICE_PATH_TYPE)
		return EFI_ALREADY_STARTED;

	initrd_loader.lf2.LoadFile = initrd_load;
	initrd_loader.p = p;
	initrd_loader.len = len;
	*h = NULL;
	s = uefi_call_wrapper(spine_bs->InstallProtocolInterface, 4, h, &DevicePathProtocol,
	                      EFI_NATIVE_INTERFACE, (void *)(UINTN)&initrd_dp);
	if (EFI_ERROR(s))
		return s;
	s = uefi_call_wrapper(spine_bs->InstallProtocolInterface, 4, h, &load_file2_guid,
	                      EFI_NATIVE_INTERFACE, &initrd_loader.lf2);
	if (EFI_ERROR(s)) {
		uefi_call_wrapper(spine_bs->UninstallProtocolInterface, 3, *h, &DevicePathProtocol,
		                  (void *)(UINTN)&initrd_dp);
		*h = NULL;
	}
	return s;
}

static void initrd_uninstall(EFI_HANDLE h)
{
	if (!h)
		return;
	/* Removing the last protocol also frees the handle. */
	uefi_call_wrapper(spine_bs->UninstallProtocolInterface, 3, h, &load_file2_guid,
	                  &initrd_loader.lf2);
	uefi_call_wrapper(spine_bs->UninstallProtocolInterface, 3, h, &DevicePathProtocol,
	                  (void *)(UINTN)&initrd_dp);
	initrd_loader.p = NULL;
	initrd_loader.len = 0;
}

/* ---- Handoff --------------------------------------------------------------------- */

EFI_STATUS spine_handoff(const struct spine_slot *sl)
{
	const uint8_t *kernel = sl->file[SPINE_F_KERNEL];
	const size_t kernel_len = sl->len[SPINE_F_KERNEL];
	EFI_DEVICE_PATH *dp = spine_file_path(spine_image, sl->slot, "vmlinuz");
	EFI_HANDLE initrd_h = NULL, child = NULL;
	EFI_LOADED_IMAGE *li;
	EFI_STATUS s;
	char line[64];
	struct spine_text t;

	s = initrd_install(sl->file[SPINE_F_INITRD], sl->len[SPINE_F_INITRD], &initrd_h);
	if (EFI_ERROR(s))
		goto out;

	override_on(kernel, kernel_len, dp);
	s = uefi_call_wrapper(spine_bs->LoadImage, 6, FALSE, spine_image, dp, (void *)(UINTN)kernel,
	                      (UINTN)kernel_len, &child);
	override_off();
	if (EFI_ERROR(s)) {
		child = NULL;
		goto out;
	}

	s = uefi_call_wrapper(spine_bs->HandleProtocol, 3, child, &LoadedImageProtocol,
	                      (void **)&li);
	if (EFI_ERROR(s))
		goto out;
	li->LoadOptions = sl->options;
	li->LoadOptionsSize = (UINT32)(sl->option_units * sizeof(uint16_t));

	spine_text_init(&t, line, sizeof(line));
	spine_text_str(&t, "spineboot: entry to handoff ");
	spine_text_u64(&t, spine_time_us());
	spine_text_str(&t, " us");
	spine_puts(line);

	/* Back from here only if the kernel gave up before ExitBootServices;
	 * its status, even "success", is what the console line reports. */
	s = uefi_call_wrapper(spine_bs->StartImage, 3, child, NULL, NULL);
out:
	/* EDK2 already unloads an image whose StartImage returned; UnloadImage on
	 * the stale handle then fails harmlessly with EFI_INVALID_PARAMETER. */
	if (child)
		uefi_call_wrapper(spine_bs->UnloadImage, 1, child);
	initrd_uninstall(initrd_h);
	if (dp)
		uefi_call_wrapper(spine_bs->FreePool, 1, dp);
	return s;
}
