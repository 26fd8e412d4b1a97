# Flatten a JSON document into one "path=value" line per scalar, e.g.
#   {"networks": [{"ip_address": "10.0.0.5"}]}  ->  networks.0.ip_address=10.0.0.5
# The guest has only busybox, so this is how /init reads the config drive's
# meta_data.json and network_data.json with sed afterwards.
# Escapes \" \\ \/ are decoded; \n \r \t become spaces (every value we need
# is one line, e.g. a public key with a trailing "\n"); \uXXXX becomes "?".
{ doc = doc $0 "\n" }

function path(    p, i) {
  p = ""
  for (i = 1; i <= depth; i++)
    p = p (i > 1 ? "." : "") key[i]
  return p
}

END {
  depth = 0; n = length(doc); pos = 1; want_key = 0
  while (pos <= n) {
    c = substr(doc, pos, 1)
    if (c == "{" || c == "[") {
      depth++; kind[depth] = c; key[depth] = (c == "[" ? 0 : ""); want_key = (c == "{")
      pos++
    } else if (c == "}" || c == "]") {
      depth--; pos++
    } else if (c == ",") {
      if (kind[depth] == "[") key[depth]++
      else want_key = 1
      pos++
    } else if (c == ":") {
      want_key = 0; pos++
    } else if (c == "\"") {
      s = ""; pos++
      while (pos <= n) {
        c = substr(doc, pos, 1)
        if (c == "\"") break
        if (c == "\\") {
          pos++; e = substr(doc, pos, 1)
          if (e == "n" || e == "r" || e == "t") s = s " "
          else if (e == "u") { s = s "?"; pos += 4 }
          else s = s e
        } else s = s c
        pos++
      }
      pos++
      if (kind[depth] == "{" && want_key) key[depth] = s
      else print path() "=" s
    } else if (index(" \t\r\n", c)) {
      pos++
    } else {
      # number, true, false, null
      s = ""
      while (pos <= n) {
        c = substr(doc, pos, 1)
        if (index(",}] \t\r\n", c)) break
        s = s c; pos++
      }
      print path() "=" s
    }
  }
}
