#include "roles/cli/cli.h"

int main(int argc, char** argv) { return wanderluxe::RunCli(argc, argv); }
