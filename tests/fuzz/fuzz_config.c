/*
 * fuzz_config.c - libFuzzer target for the config parser: any bytes as a
 * config file must give either a config or a list of errors, never a crash,
 * a leak or an error without a file and line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/neuvo-fuzz-config-XXXXXX";
	struct config *cfg = NULL;
	char *errors = NULL;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	if (config_load(path, &cfg, &errors) == 0) {
		if (!cfg || errors)
			abort();
		config_free(cfg);
	} else {
		/* Every error line names the file. */
		if (cfg || !errors || strncmp(errors, path, strlen(path)))
			abort();
		free(errors);
	}
	unlink(path);
	return 0;
}
