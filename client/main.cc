// torque-cli: hands work to torqued. All logic lives in client/cli.cc.
#include <iostream>

#include "client/cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  int code = torque::client::RunCli(argc, argv, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
