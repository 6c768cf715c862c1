// Behaviour of the pages without inline scripts (the Content-Security-Policy allows scripts from our own
// files only): a button marked data-print prints the page.
document.addEventListener("click", function (event) {
  var target = event.target.closest ? event.target.closest("[data-print]") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});
