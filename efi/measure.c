/*
 * measure.c: PCR 12 events through EFI_TCG2_PROTOCOL (docs/boot.md,
 * "Measurements"). gnu-efi has no TCG2 header; the few types needed are
 * declared here from the TCG EFI Protocol Specification.
 */
#include "spineboot.h"

static EFI_GUID tcg2_guid = {
        0x607f766c, 0x7455, 0x42be, {0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f}};

typedef struct {
	UINT8 Major, Minor;
} tcg2_version;

/* StructureVersion 1.1: the TCG2 protocol as specified. */
typedef struct {
	UINT8 Size;
	tcg2_version StructureVersion;
	tcg2_version ProtocolVersion;
	UINT32 HashAlgorithmBitmap;
	UINT32 SupportedEventLogs;
	BOOLEAN TPMPresentFlag;
	UINT16 MaxCommandSize;
	UINT16 MaxResponseSize;
	UINT32 ManufacturerID;
	UINT32 NumberOfPcrBanks;
	UINT32 ActivePcrBanks;
} tcg2_caps;

/* StructureVersion 1.0: the pre-standard TrEE layout that early EDK2-based
 * firmware still returns through the TCG2 GUID. It ends at ManufacturerID;
 * reading the 1.1 fields past it would read what the firmware never wrote. */
typedef struct {
	UINT8 Size;
	tcg2_version StructureVersion;
	tcg2_version ProtocolVersion;
	UINT32 HashAlgorithmBitmap;
	UINT32 SupportedEventLogs;
	BOOLEAN TrEEPresentFlag;
	UINT16 MaxCommandSize;
	UINT16 MaxResponseSize;
	UINT32 ManufacturerID;
} tree_caps;

typedef struct {
	UINT32 HeaderSize;
	UINT16 HeaderVersion;
	UINT32 PCRIndex;
	UINT32 EventType;
} __attribute__((packed)) tcg2_event_header;

typedef struct {
	UINT32 Size;
	tcg2_event_header Header;
	UINT8 Event[64];
} __attribute__((packed)) tcg2_event;

typedef struct tcg2_protocol tcg2_protocol;
struct tcg2_protocol {
	EFI_STATUS(EFIAPI *GetCapability)(tcg2_protocol *This, tcg2_caps *Caps);
	void *GetEventLog;
	EFI_STATUS(EFIAPI *HashLogExtendEvent)
	(tcg2_protocol *This, UINT64 Flags, EFI_PHYSICAL_ADDRESS Data, UINT64 DataLen,
	 tcg2_event *Event);
	/* SubmitCommand, GetActivePcrBanks, ... are not used. */
};

static tcg2_protocol *tpm2(void)
{
	tcg2_protocol *tcg;
	tcg2_caps caps = {.Size = sizeof(caps)};

	if (EFI_ERROR(uefi_call_wrapper(spine_bs->LocateProtocol, 3, &tcg2_guid, NULL,
	                                (void **)&tcg)))
		return NULL;
	if (EFI_ERROR(uefi_call_wrapper(tcg->GetCapability, 2, tcg, &caps)))
		return NULL;
	if (caps.StructureVersion.Major == 1 && caps.StructureVersion.Minor == 0) {
		const tree_caps *old = (const tree_caps *)(const void *)&caps;
		return old->TrEEPresentFlag ? tcg : NULL;
	}
	return caps.TPMPresentFlag ? tcg : NULL;
}

EFI_STATUS spine_measure(const struct spine_event ev[SPINE_NEVENTS])
{
	tcg2_protocol *tcg = tpm2();

	if (!tcg)
		return EFI_NOT_FOUND;
	for (int i = 0; i < SPINE_NEVENTS; i++) {
		tcg2_event e = {0};
		size_t n = 0;
		EFI_STATUS s;

		while (ev[i].desc[n] && n < sizeof(e.Event))
			n++;
		for (size_t k = 0; k < n; k++)
			e.Event[k] = (UINT8)ev[i].desc[k];
		e.Size = (UINT32)(sizeof(e.Size) + sizeof(e.Header) + n);
		e.Header.HeaderSize = sizeof(e.Header);
		e.Header.HeaderVersion = 1;
		e.Header.PCRIndex = SPINE_PCR;
		e.Header.EventType = SPINE_EV_IPL;
		s = uefi_call_wrapper(tcg->HashLogExtendEvent, 5, tcg, 0ULL,
		                      (EFI_PHYSICAL_ADDRESS)(UINTN)ev[i].data, (UINT64)ev[i].len,
		                      &e);
		if (EFI_ERROR(s))
			return s;
	}
	return EFI_SUCCESS;
}
