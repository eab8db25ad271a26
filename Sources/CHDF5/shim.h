#include <hdf5.h>

/* HDF5's constants are macros over casts or library globals, which Swift cannot import. */
static inline hid_t CHDF5_default(void) { return H5P_DEFAULT; }
static inline hid_t CHDF5_all(void) { return H5S_ALL; }
static inline unsigned CHDF5_readOnly(void) { return H5F_ACC_RDONLY; }
static inline hid_t CHDF5_nativeFloat(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t CHDF5_nativeInt(void) { return H5T_NATIVE_INT; }
static inline hid_t CHDF5_cString(void) { return H5T_C_S1; }
static inline size_t CHDF5_variable(void) { return H5T_VARIABLE; }
static inline haddr_t CHDF5_undefinedAddress(void) { return HADDR_UNDEF; }
static inline void CHDF5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
