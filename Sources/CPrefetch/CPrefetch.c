// SwiftPM needs one source file per C target; everything lives inline in include/CPrefetch.h.
#include "CPrefetch.h"
