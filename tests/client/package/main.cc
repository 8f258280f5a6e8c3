// Hands one job to torqued and waits for it: torque_example [SOCKET] TYPE [ARGS].
#include <torque/client.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: torque_example SOCKET TYPE [ARGS]\n";
    return 64;
  }
  auto client = torque::client::Client::Connect(torque::client::ResolveSocketPath(argv[1]));
  if (!client.ok()) {
    std::cerr << client.status().message() << "\n";
    return 69;
  }
  auto id = client->Submit(argv[2], argc > 3 ? argv[3] : "");
  if (!id.ok()) {
    std::cerr << id.status().message() << "\n";
    return 65;
  }
  auto job = client->Wait(*id, 60'000);
  if (!job.ok()) {
    std::cerr << job.status().message() << "\n";
    return 75;
  }
  std::cout << (*job)["result"].get<std::string>();
  return (*job)["state"] == "done" ? 0 : 1;
}
