// Wharf pages work without JavaScript; this only adds copy buttons.
document.addEventListener("click", function (e) {
  var b = e.target.closest("button.copy");
  if (!b || !navigator.clipboard) return;
  navigator.clipboard.writeText(b.getAttribute("data-copy")).then(function () {
    var t = b.textContent;
    b.textContent = "✓";
    setTimeout(function () { b.textContent = t; }, 1200);
  });
});
