#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

static void refdesk_xml_silent_generic_error(void *ctx, const char *msg, ...) { (void)ctx; (void)msg; }

/// libxml2's generic error callback is variadic, which Swift cannot implement: install a silent one
/// so encoding errors never print to stderr (errors are reported through the structured callback).
static inline void refdesk_xml_silence_generic_errors(void) {
    xmlSetGenericErrorFunc(NULL, refdesk_xml_silent_generic_error);
}
