// Entity lookups: choosing a suggestion appends its id as a new line of the property's field.
document.addEventListener("change", function (event) {
  var lookup = event.target;
  if (!lookup.dataset || !lookup.dataset.appendTo || !lookup.value) { return; }
  var field = document.getElementById(lookup.dataset.appendTo);
  if (!field) { return; }
  var id = lookup.value.trim();
  var lines = field.value.split("\n").filter(function (line) { return line.trim() !== ""; });
  if (lines.indexOf(id) === -1) { lines.push(id); }
  field.value = lines.join("\n");
  lookup.value = "";
});
