// A free TCP port on 127.0.0.1, found by binding port 0 and releasing it (the demo's own
// helper). Another process could take it in between; callers that spawn a server retry.
export { freePort } from "@scrape-reconciler/demo";
