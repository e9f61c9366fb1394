#include "base/version.h"

#include "nsmp_commit.h"  // generated: NSMP_COMMIT

#ifndef NSMP_PROJECT_VERSION
#error "NSMP_PROJECT_VERSION must be defined by the build (PROJECT_VERSION)"
#endif

namespace nsmp {

const char* projectVersion() { return NSMP_PROJECT_VERSION; }
const char* buildCommit() { return NSMP_COMMIT; }

}  // namespace nsmp
